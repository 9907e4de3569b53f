"""Drives the official CloudEvents Python SDK (package `cloudevents`, 2.x) against our binding.

usage:
  sdk_python.py send URL MODE API   post every event of events.json to URL (MODE binary|structured,
                                    API core|v1: the 2.x core API or the 1.x-compatible v1 API)
  sdk_python.py parse API           read JSON lines {"headers": {...}, "body_b64": "..."} on stdin,
                                    print each as a structured CloudEvent JSON line on stdout
"""

import base64
import json
import pathlib
import sys
import http.client
import urllib.parse

HERE = pathlib.Path(__file__).parent
EVENTS = json.loads((HERE / "events.json").read_text(encoding="utf-8"))
ATTRS = {"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema"}


def fixture_data(spec):
    if "data_base64" in spec:
        return base64.b64decode(spec["data_base64"])
    return spec.get("data")


def to_sdk(spec, api):
    attributes = {k: v for k, v in spec.items() if k not in ("data", "data_base64")}
    data = fixture_data(spec)
    if api == "core":
        from cloudevents.core.v1.event import CloudEvent
        from dateutil.parser import isoparse

        if "time" in attributes:
            attributes["time"] = isoparse(attributes["time"])
        return CloudEvent(attributes=attributes, data=data)
    from cloudevents.v1.http import CloudEvent

    return CloudEvent(attributes, data)


def encode(event, mode, api):
    if api == "core":
        from cloudevents.core.bindings import http as binding

        message = binding.to_binary_event(event) if mode == "binary" else binding.to_structured_event(event)
        return dict(message.headers), message.body
    from cloudevents.v1.http import to_binary, to_structured

    headers, body = to_binary(event) if mode == "binary" else to_structured(event)
    return headers, body


def send(url, mode, api):
    """Prints one JSON line per event: {"id", "status"} once sent, or {"id", "error"} when the
    SDK itself could not produce or send the request."""
    target = urllib.parse.urlsplit(url)
    for spec in EVENTS:
        try:
            headers, body = encode(to_sdk(spec, api), mode, api)
            if isinstance(body, str):
                body = body.encode("utf-8")
            # http.client adds no headers of its own (urllib would add a form Content-Type).
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            connection.request("POST", target.path or "/", body=body or b"", headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            result = {"id": spec["id"], "status": response.status}
        except Exception as error:  # the SDK's own failure, reported, not hidden
            result = {"id": spec["id"], "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(result), flush=True)


def parse(api):
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        headers = message["headers"]
        body = base64.b64decode(message["body_b64"])
        if api == "core":
            from cloudevents.core.bindings import http as binding

            event = binding.from_http_event(binding.HTTPMessage(headers=headers, body=body))
            attributes = dict(event.get_attributes())
            data = event.get_data()
        else:
            from cloudevents.v1.http import from_http

            event = from_http(headers, body)
            attributes = dict(event.get_attributes())
            data = event.get_data()
        out = {}
        for key, value in attributes.items():
            out[key] = value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else value
        content_type = str(attributes.get("datacontenttype") or "")
        if isinstance(data, (bytes, bytearray)) and content_type.lower().startswith("text/"):
            data = data.decode("utf-8")  # the v1 API hands text over as bytes
        if isinstance(data, (bytes, bytearray)):
            out["data_base64"] = base64.b64encode(data).decode("ascii")
        elif data is not None:
            out["data"] = data
        print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "parse":
        parse(sys.argv[2])
    else:
        raise SystemExit(__doc__)
