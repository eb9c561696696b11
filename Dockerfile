# syntax=docker/dockerfile:1
# The harbor-promote worker, plus the images docker-compose.yml builds for a local stack.
#   docker build -t harbor-promote-worker .            # the worker (last stage, the default target)
#   docker compose up                                  # Temporal dev server + UI + worker
#   docker compose --profile local up                  # … plus harbor-sim and a registry
# Tool versions are the pins in tools.json (a unit test, test/unit/packaging, keeps them in step).

ARG NODE_VERSION=20.20.2
ARG GO_VERSION=1.26

# ---- pinned Go tools, built from source (static: CGO off) ------------------------------------------------
FROM golang:${GO_VERSION}-bookworm AS tools
ARG COSIGN_VERSION=v3.1.2
ARG SKOPEO_VERSION=v1.19.0
ARG TEMPORAL_CLI_VERSION=v1.5.1
ARG REGISTRY_VERSION=v3.0.0
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN=/out
RUN go install github.com/sigstore/cosign/v3/cmd/cosign@${COSIGN_VERSION}
# skopeo: the module proxy refuses `go install` for the pinned line (tools.json "note"), so fetch the
# module and build it; openpgp instead of gpgme, no btrfs/devicemapper (no CGO).
RUN GONOSUMDB=github.com/containers/skopeo \
      go mod download -json github.com/containers/skopeo@${SKOPEO_VERSION} > /tmp/skopeo.json \
 && cd "$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' /tmp/skopeo.json)" \
 && go build -trimpath \
      -tags containers_image_openpgp,exclude_graphdriver_btrfs,exclude_graphdriver_devicemapper \
      -o /out/skopeo ./cmd/skopeo
RUN go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION} \
 && go install github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION} \
 && /out/cosign version >/dev/null && /out/skopeo --version && /out/temporal --version

# ---- Temporal dev server with its UI (compose service "temporal") ----------------------------------------
FROM debian:bookworm-slim AS temporal-dev
COPY --from=tools /out/temporal /usr/local/bin/temporal
RUN useradd --uid 10001 --create-home temporal && mkdir /data && chown temporal /data
USER 10001
EXPOSE 7233 8233
ENTRYPOINT ["temporal"]

# ---- OCI registry behind harbor-sim (compose profile "local") -------------------------------------------
FROM debian:bookworm-slim AS registry
COPY --from=tools /out/registry /usr/local/bin/registry
RUN useradd --uid 10001 --create-home registry && mkdir /var/lib/registry && chown registry /var/lib/registry
USER 10001
EXPOSE 5000
ENTRYPOINT ["registry"]

# ---- node dependencies and the prebuilt workflow bundle --------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsx src/worker/bundle.ts dist/workflow-bundle.js && npm prune --omit=dev --no-audit --no-fund

# ---- harbor-sim, the local Harbor stand-in (compose profile "local"; never in the worker image) ----------
FROM node:${NODE_VERSION}-bookworm-slim AS harbor-sim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY dev/harbor-sim ./dev/harbor-sim
RUN mkdir /data && chown node /data
USER node
EXPOSE 8080
ENTRYPOINT ["node", "--import", "tsx", "dev/harbor-sim/main.ts"]

# ---- the worker (default target) --------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS worker
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
COPY --from=tools /out/cosign /out/skopeo /usr/local/bin/
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json tsconfig.json ./
COPY src ./src
COPY bin ./bin
# Non-root: the image's "node" user (uid 1000). Scratch space in /tmp; secrets come as mounted files.
USER node
ENV NODE_ENV=production \
    WORKER_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    COSIGN_BIN=/usr/local/bin/cosign \
    SKOPEO_BIN=/usr/local/bin/skopeo \
    WORKER_WORK_DIR=/tmp/harbor-promote-worker \
    WORKER_METRICS_ADDRESS=0.0.0.0:9464 \
    WORKER_LOG_FORMAT=json \
    MALLOC_ARENA_MAX=2
# MALLOC_ARENA_MAX: fewer glibc arenas for the SDK's threads (src/worker/memory.ts, WORKER_PROCESS_ENV).
EXPOSE 9464
# tini forwards SIGTERM so the worker drains (WORKER_SHUTDOWN_GRACE) instead of being killed.
ENTRYPOINT ["tini", "--", "node", "--import", "tsx", "src/worker.ts"]
