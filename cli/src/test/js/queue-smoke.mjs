// Smoke path of the Queue endpoint with the official Azure SDK for JavaScript (@azure/storage-queue):
// create a queue, send, peek, receive, update, delete a message, delete the queue. Reads the
// connection string from COBALT_CONNECTION_STRING; exits non-zero on the first failure.
import { QueueServiceClient } from "@azure/storage-queue";
import assert from "node:assert/strict";

const cs = process.env.COBALT_CONNECTION_STRING;
if (!cs) throw new Error("COBALT_CONNECTION_STRING is not set");

const service = QueueServiceClient.fromConnectionString(cs);
const name = "js-smoke-" + Date.now();
const queue = service.getQueueClient(name);
await queue.create();

await queue.sendMessage("hello");
await queue.sendMessage("world");
const peeked = await queue.peekMessages();
assert.equal(peeked.peekedMessageItems[0].messageText, "hello");

const received = await queue.receiveMessages({ numberOfMessages: 2, visibilityTimeout: 30 });
assert.deepEqual(received.receivedMessageItems.map((m) => m.messageText).sort(), ["hello", "world"]);
const [first, second] = received.receivedMessageItems;
const updated = await queue.updateMessage(first.messageId, first.popReceipt, "again", 0);
await queue.deleteMessage(second.messageId, second.popReceipt);
const again = await queue.receiveMessages();
assert.equal(again.receivedMessageItems[0].messageText, "again");
await queue.deleteMessage(again.receivedMessageItems[0].messageId, again.receivedMessageItems[0].popReceipt);
await assert.rejects(queue.deleteMessage(first.messageId, updated.popReceipt), (e) => e.statusCode === 404);
assert.equal((await queue.getProperties()).approximateMessagesCount, 0);

await queue.delete();
console.log("js queue smoke: ok");
