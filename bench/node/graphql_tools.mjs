// The GraphQL anchor of bench/run.py: @graphql-tools/mock + graphql-http (node) serving
// spec/schema.graphql, every connection a page of 20 (as kk answers `first: 20`).
//   node bench/node/graphql_tools.mjs PORT SCHEMA_FILE NODE_DIR (where npm installed them)
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const [port, schemaFile, modules] = process.argv.slice(2);
const require = createRequire(resolve(modules, "package.json"));
const { makeExecutableSchema } = require("@graphql-tools/schema");
const { addMocksToSchema } = require("@graphql-tools/mock");
const { createHandler } = require("graphql-http/lib/use/http");

const PAGE = 20;
const schema = addMocksToSchema({
  schema: makeExecutableSchema({ typeDefs: readFileSync(schemaFile, "utf8") }),
  mocks: {
    DateTime: () => "2026-12-03T10:00:00Z",
    Date: () => "2026-12-03",
    PractitionerConnection: () => ({ edges: [...new Array(PAGE)] }),
  },
  preserveResolvers: false,
});
const graphql = createHandler({ schema });

createServer((req, res) => {
  if (req.url.startsWith("/graphql")) return graphql(req, res);
  res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "text/plain" });
  res.end("ok");
}).listen(Number(port), "127.0.0.1");
