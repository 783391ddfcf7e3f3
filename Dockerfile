# syntax=docker/dockerfile:1
# fitstack as one compiled binary on a slim glibc base:
#   docker build -t fitstack .                                   # for this machine's CPU
#   docker buildx build --platform linux/arm64 -t fitstack .     # for a Raspberry Pi (cross-compiled, no emulation)

# The build stage runs on the builder's own CPU and cross-compiles for the image's (bun build --compile --target).
FROM --platform=$BUILDPLATFORM oven/bun:1.4.5 AS build
ARG TARGETARCH
WORKDIR /src
COPY package.json bun.lock ./
# every Linux CPU's native addons (resvg), so the target's can be embedded whatever the builder's CPU. The build
# would fetch a missing one itself (for every OS, after COPY src): installing here keeps it in a cached layer.
RUN bun install --frozen-lockfile --os=linux --cpu="*"
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN bun run build "$TARGETARCH" && cp "dist/fitstack-linux-$(echo "$TARGETARCH" | sed 's/amd64/x64/')" /fitstack

FROM debian:bookworm-slim
# curl only for the HEALTHCHECK; libgcc_s (resvg's addon needs it) is part of the base image
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin fitstack \
 && mkdir /data && chown fitstack:fitstack /data
COPY --from=build /fitstack /usr/local/bin/fitstack
ENV HOST=0.0.0.0 PORT=8000 DATA_DIR=/data
VOLUME /data
WORKDIR /data
USER fitstack
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/ping" || exit 1
ENTRYPOINT ["/usr/local/bin/fitstack"]
CMD ["serve"]
