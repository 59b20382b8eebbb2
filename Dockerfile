# walguard's container image: built with the project's own CMake on Debian
# bookworm, run as a non-root user with only the shared libraries it links.
#   docker build --build-arg WALGUARD_REVISION="$(git describe --always --dirty --tags)" -t walguard .
#   docker run --rm walguard --version
# The build context has no .git (.dockerignore), so the revision `--version`
# prints comes from the build argument ("unknown" without it).

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libpq-dev librdkafka-dev libsimdjson-dev librocksdb-dev \
      libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev \
      libzstd-dev libxxhash-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG WALGUARD_REVISION=unknown
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWALGUARD_TESTS=OFF \
      -DWALGUARD_REVISION="${WALGUARD_REVISION}" \
 && cmake --build /build --target walguard -j"$(nproc)" \
 && strip --strip-debug /build/walguard

FROM debian:bookworm-slim AS runtime
# The libraries `ldd walguard` names (RocksDB is linked statically, its
# compressors are not); their own dependencies come with them.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq5 librdkafka1 libsimdjson14 libspdlog1.10 libfmt9 libtomlplusplus3 \
      libzstd1 libxxhash0 libcpp-httplib0.11 libsnappy1v5 zlib1g libbz2-1.0 liblz4-1 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 walguard \
 && useradd --system --uid 10001 --gid walguard --home-dir /var/lib/walguard --shell /usr/sbin/nologin walguard \
 && install -d -o walguard -g walguard -m 0700 /var/lib/walguard
COPY --from=build /build/walguard /usr/local/bin/walguard
COPY config/walguard.example.toml /usr/share/doc/walguard/walguard.example.toml
# A missing library fails the image build, not the first start.
RUN ! ldd /usr/local/bin/walguard | grep 'not found' && walguard --version
USER walguard:walguard
WORKDIR /var/lib/walguard
VOLUME ["/var/lib/walguard"]
# 9187: http_address (/metrics, /healthz, /readyz) once the endpoint lands.
EXPOSE 9187
ENTRYPOINT ["/usr/local/bin/walguard"]
CMD ["--help"]
