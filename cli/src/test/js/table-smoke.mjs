// Smoke path of the Table endpoint with the official Azure SDK for JavaScript (@azure/data-tables):
// create a table, upsert, get, query, an entity-group transaction, delete. Reads the connection
// string from COBALT_CONNECTION_STRING; exits non-zero on the first failure.
import { TableClient, TableServiceClient } from "@azure/data-tables";
import assert from "node:assert/strict";

const cs = process.env.COBALT_CONNECTION_STRING;
if (!cs) throw new Error("COBALT_CONNECTION_STRING is not set");
const options = { allowInsecureConnection: true };

const service = TableServiceClient.fromConnectionString(cs, options);
const name = "jssmoke" + Date.now();
await service.createTable(name);
const table = TableClient.fromConnectionString(cs, name, options);

await table.upsertEntity({ partitionKey: "p", rowKey: "1", name: "Ada", age: 36 }, "Replace");
await table.upsertEntity({ partitionKey: "p", rowKey: "2", name: "Grace", age: 85 }, "Merge");
await table.createEntity({ partitionKey: "q", rowKey: "1", big: { value: "1099511627776", type: "Int64" } });

const got = await table.getEntity("p", "1");
assert.equal(got.name, "Ada");
assert.equal(got.age, 36);
assert.ok(got.etag);
const big = await table.getEntity("q", "1", { disableTypeConversion: true });
assert.equal(big.big.value, "1099511627776");

const old = [];
for await (const e of table.listEntities({ queryOptions: { filter: "PartitionKey eq 'p' and age gt 40" } })) {
  old.push(e.rowKey);
}
assert.deepEqual(old, ["2"]);

await table.submitTransaction([
  ["create", { partitionKey: "p", rowKey: "3", name: "Linus" }],
  ["update", { partitionKey: "p", rowKey: "1", age: 37 }, "Merge"],
  ["delete", { partitionKey: "p", rowKey: "2" }],
]);
const keys = [];
for await (const e of table.listEntities({ queryOptions: { filter: "PartitionKey eq 'p'" } })) keys.push(e.rowKey);
assert.deepEqual(keys, ["1", "3"]);
assert.equal((await table.getEntity("p", "1")).age, 37);

await table.deleteEntity("p", "1");
await assert.rejects(table.getEntity("p", "1"), (e) => e.statusCode === 404);
await service.deleteTable(name);
console.log("js table smoke: ok");
