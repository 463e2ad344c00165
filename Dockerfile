# golive API and worker image (one image, two commands). No Docker engine runs on the dev
# machines; tests/unit/compose.test.ts keeps docker-compose.yml in step with the config.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# Bundle the workflows at build time: workers start in a second instead of re-bundling.
RUN node --import tsx worker/bundle.ts dist/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
USER node
CMD ["node", "--import", "tsx", "api/main.ts"]
