package io.pickspin.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.pki.pem.DERPrivateKeyLoader;
import org.apache.pekko.pki.pem.PEMDecoder;

/**
 * A server's certificate chain and private key as PEM files ({@code cert-file}, {@code key-file} of a {@code tls}
 * block): with them the server serves HTTPS only, through Pekko HTTP's HTTPS connection context. The key may be PKCS#8
 * ("BEGIN PRIVATE KEY") or PKCS#1 RSA ("BEGIN RSA PRIVATE KEY").
 */
public record ServerTls(Path certFile, Path keyFile) {

  public ServerTls {
    if (certFile == null || keyFile == null) throw new IllegalArgumentException("TLS needs both cert-file and key-file");
  }

  /** The {@code tls} block's files, or null when both are blank (plain HTTP); one without the other is an error. */
  public static ServerTls fromConfig(Config tls) {
    String cert = tls.getString("cert-file").trim();
    String key = tls.getString("key-file").trim();
    if (cert.isEmpty() && key.isEmpty()) return null;
    if (cert.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException("tls: give both cert-file and key-file (PEM), or neither for plain HTTP");
    }
    return new ServerTls(Path.of(cert), Path.of(key));
  }

  /** Loads the files; their errors name the file, never its content. */
  public HttpsConnectionContext connectionContext() {
    return ConnectionContext.httpsServer(sslContext());
  }

  /** The server's SSL context from the files; their errors name the file, never its content. */
  public SSLContext sslContext() {
    try {
      List<Certificate> chain = new ArrayList<>();
      CertificateFactory x509 = CertificateFactory.getInstance("X.509");
      try (var in = Files.newInputStream(certFile)) {
        chain.addAll(x509.generateCertificates(in));
      }
      if (chain.isEmpty()) throw new IllegalArgumentException("no certificate in " + certFile);
      PrivateKey key = DERPrivateKeyLoader.load(PEMDecoder.decode(Files.readString(keyFile, StandardCharsets.US_ASCII)));
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] none = new char[0];
      store.setKeyEntry("server", key, none, chain.toArray(Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, none);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(kmf.getKeyManagers(), null, null);
      return ssl;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the TLS files " + certFile + " / " + keyFile + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalArgumentException("bad TLS certificate or key (" + certFile + ", " + keyFile + "): " + e.getMessage(), e);
    }
  }
}
