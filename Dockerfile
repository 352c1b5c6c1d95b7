# avfleet: one image for `avfleet producer`, `avfleet worker` and the other commands.
#   docker build -t avfleet .
#   docker run --rm avfleet config check /etc/avfleet/antivirus.conf
# docker-compose.yml builds it for the producer and worker services.

# --- build: install every dependency, compile the workspaces, then drop dev dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so `npm ci` is cached until a dependency changes.
COPY package.json package-lock.json ./
COPY packages/config/package.json packages/config/
COPY packages/scanners/package.json packages/scanners/
COPY packages/core/package.json packages/core/
COPY apps/producer/package.json apps/producer/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY apps apps
COPY examples examples
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: compiled workspaces and production dependencies only
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/apps apps
COPY --from=build /app/examples examples
COPY deploy/compose/antivirus.conf /etc/avfleet/antivirus.conf
# The folder store's default lives under the user's home; make it writable.
RUN mkdir -p /home/node/.local/state/avfleet && chown -R node:node /home/node/.local
USER node
# 11333: producer API (and its /metrics); 9464: a worker's --metrics-listen.
EXPOSE 11333 9464
# Executed, not `node …`: the launcher's first line carries its Node flags (docs/decisions.md D64).
ENTRYPOINT ["/app/apps/cli/bin/avfleet.js"]
CMD ["--help"]
