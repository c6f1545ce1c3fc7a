# The API (and the admin UI it serves), built from the workspace. Used by docker-compose.yml's "cluster" profile.
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install -g pnpm@12.4.2
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build
EXPOSE 3000
CMD ["node", "apps/api/dist/server.js"]
