# The image the Helm chart runs (values: image.repository ghcr.io/pickspin/pickspin, tag = the chart's appVersion):
#   docker build -t ghcr.io/pickspin/pickspin:0.1.0 .
# One node of the control plane (io.pickspin.cluster.Main). Configuration comes from -Dconfig.file / JAVA_TOOL_OPTIONS
# and PICKSPIN_* variables, as the chart sets them; without them it starts the demo (H2 journal, sim backends).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# dependencies first, so that a source change does not download them again
COPY pom.xml ./
COPY core/pom.xml core/
COPY actors/pom.xml actors/
COPY drivers/pom.xml drivers/
COPY persistence/pom.xml persistence/
COPY persistence/cassandra-runtime/pom.xml persistence/cassandra-runtime/
COPY http/pom.xml http/
COPY sim/pom.xml sim/
COPY cluster/pom.xml cluster/
COPY lab/pom.xml lab/
COPY chaos/pom.xml chaos/
COPY helm/pom.xml helm/
RUN mvn -B -q -pl cluster -am dependency:go-offline -DexcludeReactor=true || true
COPY . .
# one reactor run: the modules' jars are copied with the third-party ones (a separate run would look for them in ~/.m2)
RUN mvn -B -q -DskipTests -pl cluster -am package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/out/lib \
 && cp cluster/target/pickspin-cluster-*.jar /out/lib/

FROM eclipse-temurin:17-jre
# the uid and gid the chart's securityContext runs as; the root file system may be read-only: writes go to /tmp
RUN groupadd --gid 1000 pickspin && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /tmp pickspin
COPY --from=build /out/lib /opt/pickspin/lib
USER 1000:1000
WORKDIR /tmp
ENV HOME=/tmp DJL_CACHE_DIR=/tmp/djl ENGINE_CACHE_DIR=/tmp/djl
EXPOSE 8080 8081 9095 25520
ENTRYPOINT ["java", "-XX:+UseG1GC", "-Dai.djl.offline=true", "-cp", "/opt/pickspin/lib/*", "io.pickspin.cluster.Main"]
