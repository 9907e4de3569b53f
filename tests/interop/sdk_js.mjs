// Drives the official CloudEvents JavaScript SDK (npm `cloudevents`) against our binding.
//
// usage:
//   node sdk_js.mjs send URL MODE   post every event of events.json to URL (MODE binary|structured)
//   node sdk_js.mjs parse           read JSON lines {"headers": {...}, "body_b64": "..."} on stdin,
//                                   print each as a structured CloudEvent JSON line on stdout
import { CloudEvent, HTTP } from "cloudevents";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const events = JSON.parse(readFileSync(new URL("./events.json", import.meta.url), "utf8"));

function toSdk(spec) {
  const attributes = { ...spec };
  if ("data_base64" in attributes) {
    attributes.data = new Uint8Array(Buffer.from(attributes.data_base64, "base64"));
    delete attributes.data_base64;
  }
  return new CloudEvent(attributes, true);
}

// Prints one JSON line per event: {"id", "status"} once sent, or {"id", "error"} when the SDK
// itself could not produce or send the request.
async function send(url, mode) {
  for (const spec of events) {
    let result;
    try {
      const message = mode === "binary" ? HTTP.binary(toSdk(spec)) : HTTP.structured(toSdk(spec));
      const response = await fetch(url, { method: "POST", headers: message.headers, body: message.body });
      await response.arrayBuffer();
      result = { id: spec.id, status: response.status };
    } catch (error) {
      result = { id: spec.id, error: `${error.name}: ${error.message}` };
    }
    process.stdout.write(JSON.stringify(result) + "\n");
  }
}

async function parse() {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const message = JSON.parse(line);
    const body = Buffer.from(message.body_b64, "base64");
    const contentType = Object.entries(message.headers).find(([k]) => k.toLowerCase() === "content-type");
    const isText = !contentType || /json|text/i.test(contentType[1]);
    // An empty body is no body, as a web framework would hand it over.
    const payload = body.length === 0 ? undefined : isText ? body.toString("utf8") : body;
    const event = HTTP.toEvent({ headers: message.headers, body: payload });
    const out = { ...event.toJSON() };
    if (out.data instanceof Uint8Array || Buffer.isBuffer(out.data)) {
      out.data_base64 = Buffer.from(out.data).toString("base64");
      delete out.data;
    }
    process.stdout.write(JSON.stringify(out) + "\n");
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === "send") await send(args[0], args[1]);
else if (command === "parse") await parse();
else {
  console.error("usage: node sdk_js.mjs send URL MODE | parse");
  process.exit(2);
}
