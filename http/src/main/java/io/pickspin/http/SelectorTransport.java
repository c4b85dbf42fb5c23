package io.pickspin.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.nio.channels.ServerSocketChannel;
import org.apache.pekko.stream.Materializer;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.ClientTransport;
import org.apache.pekko.http.javadsl.OutgoingConnection;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.http.scaladsl.Http;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.RunnableGraph;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plain TCP for the gateway's connections, without Pekko's TCP connection actors: the backend connections it makes (as
 * a {@link ClientTransport}) and the client connections it accepts ({@link #listen}).
 *
 * <p>Pekko HTTP's own transport runs every connection as an actor that the stream talks to by message: each write is a
 * message and an acknowledgement, each read a readiness message, a message with the bytes and a message to read again,
 * which re-arms the selector (an interest change and a wake-up, both system calls). Here an event loop
 * ({@link EventLoops}) reads the connection and hands the bytes to the connection's stream in one callback, and the
 * stream writes to the socket itself: about four messages fewer per request and connection. Pekko HTTP still does all of
 * HTTP on top (rendering, parsing, framing, its timeouts); only the bytes' way to and from the socket changes.
 *
 * <p>Started with an actor system ({@link #start(String, ActorSystem, int)}), the streams of the connections it accepts
 * run on the loops as well, each on the loop that reads its socket, and a backend connection such a stream opens is read
 * by that same loop: a request and its answer then cross no thread at all.
 *
 * <p>Reads stop while more than {@link #PAUSE_AT} bytes wait for the stream to take them, so a slow client still holds
 * back its replica. A connection that moves no byte for the idle timeout is closed, as Pekko's transport does.
 */
final class SelectorTransport extends ClientTransport implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SelectorTransport.class);
  static final int PAUSE_AT = 256 * 1024;
  /** Bytes a connection keeps back to write in one call before it writes without waiting for more. */
  private static final int HOLD_LIMIT = 64 * 1024;
  /**
   * Turns of the stream's event queue a held write waits. Pekko HTTP renders a relayed streamed answer's head, chunk
   * and terminator a few such turns apart; measured with strace, one turn still wrote them in 3 calls, 4 in 2, 8 in 1.
   */
  private static final int FLUSH_TURNS = 8;
  /** Per stream thread; a bounded pool, so a bounded number of them. */
  private static final ThreadLocal<ByteBuffer> WRITE_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(2 * HOLD_LIMIT));

  private final EventLoops loops;
  /** The dispatcher of the client connections' streams: the loops that read their sockets (null: the materializer's). */
  private final String dispatcherId;
  /** Host names are resolved here, off the stream and the selector: a slow DNS answer must not stall either. */
  private final ExecutorService resolver;

  private SelectorTransport(String name, EventLoops loops, String dispatcherId) {
    this.loops = loops;
    this.dispatcherId = dispatcherId;
    AtomicInteger n = new AtomicInteger();
    this.resolver =
        Executors.newCachedThreadPool(r -> {
          Thread t = new Thread(r, name + "-resolve-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** One loop, for backend connections only: their streams run where their materializer says. */
  static SelectorTransport start(String name) {
    return new SelectorTransport(name, startLoops(name, 1), null);
  }

  /**
   * @param threads event loops (0: one per core); the streams of the connections that {@link #listen} accepts run on
   *     them, and so do the backend connections those streams open
   */
  static SelectorTransport start(String name, ActorSystem system, int threads) {
    EventLoops loops = startLoops(name, threads);
    return new SelectorTransport(name, loops, loops.registerDispatcher(system));
  }

  private static EventLoops startLoops(String name, int threads) {
    try {
      return EventLoops.start(name, threads);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open a selector for the gateway's connections", e);
    }
  }

  @Override
  public Flow<ByteString, ByteString, CompletionStage<OutgoingConnection>> connectTo(
      String host, int port, ClientConnectionSettings settings, ActorSystem system) {
    Duration connectTimeout = Duration.ofNanos(settings.getConnectingTimeout().toNanos());
    scala.concurrent.duration.Duration idle = settings.getIdleTimeout();
    Duration idleTimeout = idle.isFinite() ? Duration.ofNanos(idle.toNanos()) : null;
    return Flow.fromGraph(new ConnectionStage(host, port, connectTimeout, idleTimeout, null, null));
  }

  /** Stops the event loops and closes every connection they still read. */
  @Override
  public void close() {
    loops.close();
    resolver.shutdownNow();
  }

  /** One TCP connection as a flow: bytes pushed in are written to the socket, bytes read come out. */
  private final class ConnectionStage
      extends AbstractGraphStageWithMaterializedValue<FlowShape<ByteString, ByteString>, CompletionStage<OutgoingConnection>> {
    final Inlet<ByteString> in = Inlet.create("SelectorTransport.in");
    final Outlet<ByteString> out = Outlet.create("SelectorTransport.out");
    final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    final String host;
    final int port;
    final Duration connectTimeout;
    final Duration idleTimeout;
    /** A connection a listener accepted (null: one this stage makes). */
    final SocketChannel accepted;
    final Listener listener;

    ConnectionStage(
        String host, int port, Duration connectTimeout, Duration idleTimeout, SocketChannel accepted, Listener listener) {
      this.host = host;
      this.port = port;
      this.connectTimeout = connectTimeout;
      this.idleTimeout = idleTimeout;
      this.accepted = accepted;
      this.listener = listener;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public Pair<GraphStageLogic, CompletionStage<OutgoingConnection>> createLogicAndMaterializedValuePair(Attributes attrs) {
      CompletableFuture<OutgoingConnection> connected = new CompletableFuture<>();
      return Pair.create(new Logic(connected), connected);
    }

    private final class Logic extends TimerGraphStageLogic implements EventLoops.Ready {
      private static final String CONNECT_TIMER = "connect";
      private static final String IDLE_TIMER = "idle";
      final CompletableFuture<OutgoingConnection> connected;
      // called from the loop: each runs its action on this stage's stream
      final AsyncCallback<InetSocketAddress> resolved = createAsyncCallback(this::connect);
      final AsyncCallback<Void> connectable = createAsyncCallback(v -> finishConnect());
      final AsyncCallback<ByteString> received = createAsyncCallback(this::onReceived);
      final AsyncCallback<Void> writable = createAsyncCallback(v -> writePending());
      final AsyncCallback<Void> endOfInput = createAsyncCallback(v -> onEndOfInput());
      final AsyncCallback<Throwable> failed = createAsyncCallback(this::failStage);
      final AsyncCallback<Void> close = createAsyncCallback(v -> completeStage());
      /** Runs once the stream has pushed what it had at hand (see {@link #hold}). */
      final AsyncCallback<Void> flush = createAsyncCallback(v -> flushHeld());
      SocketChannel channel;
      /** The loop that reads this connection: the stream's own thread when the stream runs on the loops. */
      EventLoops.Loop loop;
      /** Set on the loop only. */
      SelectionKey key;
      /** Bytes read and not yet pushed; the loop adds to it, the stream subtracts. */
      final AtomicInteger unpushed = new AtomicInteger();
      /** Whether the loop stopped reading because too much waits (the loop only). */
      boolean readPaused;
      final Queue<ByteString> toPush = new ArrayDeque<>();
      /** Bytes the socket has not taken yet; while set, nothing else is written and nothing pulled. */
      ByteBuffer[] pendingWrite;
      /** Bytes pushed in this round of the stream and not written yet. */
      ByteString held = ByteString.emptyByteString();
      /** Turns the held bytes have waited; 0: no flush is queued. */
      int flushTurns;
      boolean inputEnded;
      boolean outputShutDown;
      long lastActivityNanos;

      Logic(CompletableFuture<OutgoingConnection> connected) {
        super(shape);
        this.connected = connected;
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            hold(grab(in));
          }

          @Override
          public void onUpstreamFinish() {
            if (pendingWrite == null && held.isEmpty()) outputDone();
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            ByteString b = toPush.poll();
            if (b != null) pushOut(b);
            else if (inputEnded) inputDone();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            completeStage();
          }
        });
      }

      @Override
      public void preStart() {
        lastActivityNanos = System.nanoTime();
        loop = loops.loop();
        if (accepted != null) {
          listener.opened(this);
          if (idleTimeout != null) scheduleWithFixedDelay(IDLE_TIMER, idleTimeout, idleTimeout.dividedBy(4).plusMillis(1));
          channel = accepted;
          register(SelectionKey.OP_READ);
          connected();
          return;
        }
        scheduleOnce(CONNECT_TIMER, connectTimeout);
        if (idleTimeout != null) scheduleWithFixedDelay(IDLE_TIMER, idleTimeout, idleTimeout.dividedBy(4).plusMillis(1));
        try {
          channel = SocketChannel.open();
          channel.configureBlocking(false);
          channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException e) {
          failStage(e);
          return;
        }
        if (isIpLiteral(host)) {
          connect(new InetSocketAddress(host, port));
        } else {
          resolver.execute(() -> {
            try {
              resolved.invoke(new InetSocketAddress(InetAddress.getByName(host), port));
            } catch (IOException e) {
              failed.invoke(new ConnectException("cannot resolve " + host + ": " + e.getMessage()));
            }
          });
        }
      }

      private void connect(InetSocketAddress address) {
        try {
          if (channel.connect(address)) {
            register(SelectionKey.OP_READ);
            connected();
          } else {
            register(SelectionKey.OP_CONNECT);
          }
        } catch (IOException e) {
          failStage(connectFailure(e));
        }
      }

      private void register(int ops) {
        SocketChannel ch = channel;
        loop.run(() -> {
          try {
            key = ch.register(loop.selector, ops, this);
          } catch (IOException | RuntimeException e) { // closed meanwhile
            failed.invoke(e);
          }
        });
      }

      private void finishConnect() {
        try {
          channel.finishConnect();
        } catch (IOException e) {
          failStage(connectFailure(e));
          return;
        }
        loop.run(() -> interest(SelectionKey.OP_READ, true));
        connected();
      }

      private void connected() {
        cancelTimer(CONNECT_TIMER);
        try {
          connected.complete(
              new OutgoingConnection(
                  new Http.OutgoingConnection(
                      (InetSocketAddress) channel.getLocalAddress(), (InetSocketAddress) channel.getRemoteAddress())));
        } catch (IOException e) {
          failStage(e);
          return;
        }
        if (!isClosed(in)) {
          pull(in);
        } else { // nothing to send after all: half-close now that there is a connection to half-close
          outputShutDown = false;
          shutdownOutput();
        }
      }

      private ConnectException connectFailure(IOException e) {
        ConnectException c = new ConnectException("cannot connect to " + host + ":" + port + ": " + e.getMessage());
        c.initCause(e);
        return c;
      }

      @Override
      public void onTimer(Object timer) {
        if (CONNECT_TIMER.equals(timer)) {
          failStage(new ConnectException("cannot connect to " + host + ":" + port + " within " + connectTimeout.toMillis() + " ms"));
        } else if (System.nanoTime() - lastActivityNanos > idleTimeout.toNanos()) {
          failStage(new SocketTimeoutException("no bytes to or from " + host + ":" + port + " for " + idleTimeout.toSeconds() + " s"));
        }
      }

      /**
       * Keeps pushed bytes and asks for more at once; they are written when the stream has pushed all it had at hand.
       * A relayed answer arrives as one read but leaves Pekko HTTP as a head and a piece per chunk: written as they
       * come, a streamed answer took about four system calls (and as many wake-ups of the client) instead of one. The
       * flush is an async callback invoked from the stream's own thread, which Pekko runs after the stream events
       * already queued, within the same turn of the stream's actor; it re-queues itself {@link #FLUSH_TURNS} times.
       */
      private void hold(ByteString bytes) {
        held = held.concat(bytes);
        if (pendingWrite != null) return; // the socket is full: the rest follows when it drains
        if (held.size() >= HOLD_LIMIT) {
          write();
        } else {
          pull(in);
          if (flushTurns == 0) {
            flushTurns = 1;
            flush.invoke(null);
          }
        }
      }

      private void flushHeld() {
        if (flushTurns < FLUSH_TURNS) {
          flushTurns++;
          flush.invoke(null); // queued behind what the stream has pushed meanwhile
          return;
        }
        flushTurns = 0;
        if (pendingWrite == null && !held.isEmpty()) write();
      }

      /**
       * Writes the held bytes from one direct buffer of this thread's: a request head is some thirty small pieces, and
       * a gathering write of heap buffers copies each into a temporary direct buffer of the JDK's.
       */
      private void write() {
        ByteString bytes = held;
        held = ByteString.emptyByteString();
        ByteBuffer direct = WRITE_BUFFER.get();
        if (bytes.size() > direct.capacity()) {
          List<ByteBuffer> buffers = new ArrayList<>();
          bytes.getByteBuffers().forEach(buffers::add);
          pendingWrite = buffers.toArray(new ByteBuffer[0]);
          writePending();
          return;
        }
        direct.clear();
        bytes.copyToBuffer(direct);
        direct.flip();
        pendingWrite = new ByteBuffer[] {direct};
        writePending();
        if (pendingWrite != null && pendingWrite[0] == direct) {
          // the socket took part of it; the rest waits in a buffer of its own, as the next write on this thread reuses
          pendingWrite = new ByteBuffer[] {ByteBuffer.allocate(direct.remaining()).put(direct).flip()};
        }
      }

      /** Writes what it can; the selector says when the socket takes more. */
      private void writePending() {
        lastActivityNanos = System.nanoTime();
        try {
          ByteBuffer[] buffers = pendingWrite;
          ByteBuffer last = buffers[buffers.length - 1];
          while (last.hasRemaining()) {
            if (channel.write(buffers) == 0) {
              loop.run(() -> interest(SelectionKey.OP_WRITE, true));
              return;
            }
          }
        } catch (IOException e) {
          failStage(e);
          return;
        }
        pendingWrite = null;
        if (!held.isEmpty()) write();
        else if (isClosed(in)) outputDone();
        else if (!hasBeenPulled(in)) pull(in);
      }

      private void shutdownOutput() {
        if (outputShutDown) return;
        outputShutDown = true;
        try {
          if (channel != null && channel.isConnected()) channel.shutdownOutput();
        } catch (IOException e) {
          log.debug("half-closing a backend connection", e);
        }
        if (inputEnded && toPush.isEmpty()) completeStage();
      }

      private void onReceived(ByteString bytes) {
        lastActivityNanos = System.nanoTime();
        if (isAvailable(out) && toPush.isEmpty()) pushOut(bytes);
        else toPush.add(bytes);
      }

      private void pushOut(ByteString bytes) {
        push(out, bytes);
        int left = unpushed.addAndGet(-bytes.size());
        // crossing below half: the loop may have paused reading; it checks, where the flag lives
        if (left < PAUSE_AT / 2 && left + bytes.size() >= PAUSE_AT / 2) loop.run(this::resumeIfPaused);
      }

      private void onEndOfInput() {
        inputEnded = true;
        if (toPush.isEmpty()) inputDone();
      }

      /**
       * The peer sent its last byte and all of it went downstream: the connection is done. For a client that is Pekko's
       * server behaviour too (no half-close): a client that hangs up while its request waits stops that request, which
       * then releases its replica at once instead of after the replica's answer.
       */
      private void inputDone() {
        completeStage();
      }

      /** Nothing more to write: a backend connection half-closes and reads on; a client's connection closes. */
      private void outputDone() {
        if (accepted != null) completeStage();
        else shutdownOutput();
      }

      @Override
      public void postStop() {
        if (listener != null) listener.closed(this);
        // not connected yet: the connection fails; connected: completing it again is a no-op
        connected.completeExceptionally(new ConnectException("the connection to " + host + ":" + port + " stopped before it was made"));
        if (channel != null) {
          try {
            channel.close(); // also cancels its key
          } catch (IOException e) {
            log.debug("closing a backend connection", e);
          }
        }
      }

      // --- on the loop ---

      @Override
      public void ready(SelectionKey k) {
        try {
          int ops = k.readyOps();
          if ((ops & SelectionKey.OP_CONNECT) != 0) {
            k.interestOps(0);
            connectable.invoke(null);
            return;
          }
          if ((ops & SelectionKey.OP_WRITE) != 0) {
            interest(SelectionKey.OP_WRITE, false);
            writable.invoke(null);
          }
          if ((ops & SelectionKey.OP_READ) != 0) read(k);
        } catch (CancelledKeyException e) {
          // closed by its stream meanwhile
        } catch (IOException e) {
          k.cancel();
          failed.invoke(e);
        }
      }

      private void read(SelectionKey k) throws IOException {
        ByteBuffer readBuffer = loop.readBuffer;
        readBuffer.clear();
        int n = channel.read(readBuffer);
        if (n < 0) {
          k.cancel();
          endOfInput.invoke(null);
          return;
        }
        if (n == 0) return;
        readBuffer.flip();
        ByteString bytes = ByteString.fromByteBuffer(readBuffer);
        if (unpushed.addAndGet(n) >= PAUSE_AT) {
          readPaused = true;
          interest(SelectionKey.OP_READ, false);
        }
        received.invoke(bytes);
      }

      private void resumeIfPaused() {
        if (readPaused && unpushed.get() < PAUSE_AT / 2) {
          readPaused = false;
          interest(SelectionKey.OP_READ, true);
        }
      }

      private void interest(int op, boolean on) {
        SelectionKey k = key;
        if (k == null || !k.isValid()) return;
        k.interestOps(on ? k.interestOps() | op : k.interestOps() & ~op);
      }

      @Override
      public void fail(IOException error) {
        failed.invoke(error);
      }
    }
  }

  /**
   * Listens on {@code address}: every connection accepted runs the {@code perConnection} flow anew (bytes read in, bytes to
   * write out), materialised on {@code executor}, not on a loop. Past {@code maxConnections} open
   * connections, accepting pauses until one closes.
   */
  Listener listen(
      InetSocketAddress address,
      int maxConnections,
      Duration idleTimeout,
      Flow<ByteString, ByteString, ?> perConnection,
      Materializer materializer,
      Executor executor)
      throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    try {
      server.configureBlocking(false);
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(address, 1024);
    } catch (IOException e) {
      server.close();
      throw e;
    }
    Listener l = new Listener(server, maxConnections, idleTimeout, perConnection, materializer, executor);
    l.loop.run(() -> {
      try {
        l.key = server.register(l.loop.selector, SelectionKey.OP_ACCEPT, l);
      } catch (IOException e) {
        log.error("cannot listen on {}", address, e);
      }
    });
    return l;
  }

  /** A listening socket and the connections it accepted that are still open. */
  final class Listener implements EventLoops.Ready {
    private final ServerSocketChannel server;
    private final int maxConnections;
    private final Duration idleTimeout;
    private final Flow<ByteString, ByteString, ?> perConnection;
    private final Materializer materializer;
    private final Executor executor;
    private final InetSocketAddress localAddress;
    /** Accepted and not closed yet: counted from the accept, before the connection's stream runs. */
    private final AtomicInteger connections = new AtomicInteger();
    private final Set<ConnectionStage.Logic> open = ConcurrentHashMap.newKeySet();
    /** Accepts on this loop. */
    private final EventLoops.Loop loop = loops.loop();
    /** The loop only. */
    private SelectionKey key;
    private boolean acceptPaused;

    private Listener(
        ServerSocketChannel server,
        int maxConnections,
        Duration idleTimeout,
        Flow<ByteString, ByteString, ?> perConnection,
        Materializer materializer,
        Executor executor)
        throws IOException {
      this.server = server;
      this.maxConnections = maxConnections;
      this.idleTimeout = idleTimeout;
      this.perConnection = perConnection;
      this.materializer = materializer;
      this.executor = executor;
      this.localAddress = (InetSocketAddress) server.getLocalAddress();
    }

    InetSocketAddress localAddress() {
      return localAddress;
    }

    @Override
    public void ready(SelectionKey k) {
      try {
        for (SocketChannel ch; connections.get() < maxConnections && (ch = server.accept()) != null; ) {
          connections.incrementAndGet();
          ch.configureBlocking(false);
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
          SocketChannel accepted = ch;
          executor.execute(() -> run(accepted));
        }
        if (connections.get() >= maxConnections) {
          acceptPaused = true;
          k.interestOps(0);
        }
      } catch (IOException e) {
        log.warn("accepting a connection on {} failed", localAddress, e);
      } catch (CancelledKeyException e) {
        // unbound meanwhile
      }
    }

    private void run(SocketChannel accepted) {
      try {
        String host = accepted.getRemoteAddress() instanceof InetSocketAddress a ? a.getHostString() : "client";
        RunnableGraph<?> connection = Flow.fromGraph(new ConnectionStage(host, 0, Duration.ZERO, idleTimeout, accepted, this)).join(perConnection);
        // on the loops: the stream then runs on the thread that reads its socket
        if (dispatcherId != null) connection = connection.addAttributes(ActorAttributes.dispatcher(dispatcherId));
        connection.run(materializer);
      } catch (Exception e) { // the materializer is shutting down
        log.debug("cannot serve a connection", e);
        try {
          accepted.close();
        } catch (IOException ignored) {
          // closing anyway
        }
        connections.decrementAndGet();
      }
    }

    void opened(ConnectionStage.Logic c) {
      open.add(c);
    }

    void closed(ConnectionStage.Logic c) {
      open.remove(c);
      if (connections.decrementAndGet() == maxConnections - 1) {
        loop.run(() -> {
          if (acceptPaused && key != null && key.isValid()) {
            acceptPaused = false;
            key.interestOps(SelectionKey.OP_ACCEPT);
          }
        });
      }
    }

    @Override
    public void fail(IOException error) {
      unbind();
    }

    /** Stops accepting; the connections open stay so. */
    CompletionStage<Void> unbind() {
      CompletableFuture<Void> done = new CompletableFuture<>();
      loop.run(() -> {
        if (key != null) key.cancel();
        try {
          server.close();
        } catch (IOException e) {
          log.debug("closing the listening socket on {}", localAddress, e);
        }
        // a registered channel's socket closes when the selector next selects and drops the cancelled key: until then
        // the kernel still accepts connections on the port
        loop.afterNextSelect(() -> done.complete(null));
      });
      return done;
    }

    /** Closes every connection still open, answers in flight or not; completes when they are closed. */
    CompletionStage<Void> closeConnections(Duration within) {
      for (ConnectionStage.Logic c : open) c.close.invoke(null);
      long deadline = System.nanoTime() + within.toNanos();
      CompletableFuture<Void> done = new CompletableFuture<>();
      awaitClosed(done, deadline);
      return done;
    }

    private void awaitClosed(CompletableFuture<Void> done, long deadline) {
      if (open.isEmpty() || System.nanoTime() >= deadline) {
        done.complete(null);
        return;
      }
      CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS).execute(() -> awaitClosed(done, deadline));
    }
  }

  /** Whether {@code host} is an IPv4 or IPv6 address, which needs no lookup. */
  static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) return true;
    int dots = 0;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c == '.') dots++;
      else if (c < '0' || c > '9') return false;
    }
    return dots == 3;
  }
}
