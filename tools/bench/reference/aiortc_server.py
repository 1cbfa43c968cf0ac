#!/usr/bin/python3
"""The original plan's transport, for side-by-side measurement only (issue 10 item 4): FastAPI +
uvicorn for /ws and aiortc (Debian's python3-aiortc) for the WebRTC DataChannel, speaking the same
signaling and chunk protocol as `sueo serve` (docs/protocol.md §1-3) for the transport part only:
welcome, offer/answer, trickle candidates, pings, chunk reassembly, JPEG decode (Pillow, as `sueo serve`
decodes every frame for its receipt) and the receipt. No landmarks, no model: welcome.model is null.

Never part of the product. tools/bench/capacity starts it pinned to a core and drives it with
build/sueo-loadgen, like `sueo serve --model ""`.

    /usr/bin/python3 tools/bench/reference/aiortc_server.py --cert cert.pem --key key.pem [--port 0]

Prints "listening on https://127.0.0.1:PORT/" once it accepts connections.
"""
import argparse
import asyncio
import io
import json
import socket
import statistics
import struct
import sys
import time
import uuid

import uvicorn
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from PIL import Image

# docs/protocol.md §2: the 32-byte big-endian chunk header.
HEADER = struct.Struct(">BBHIIHHIId")
MAX_FRAME_BYTES = 2 * 1024 * 1024
MAX_SEQUENCE_FRAMES = 600
DROP_REASONS = ("incomplete", "duplicate", "oversized", "out_of_range", "bad_jpeg", "overloaded")
CONFIG = {"fps": 15, "width": 640, "height": 480, "jpeg_quality": 0.7, "sequence_seconds": 10,
          "max_chunk_bytes": 65536, "max_frame_bytes": MAX_FRAME_BYTES, "max_sequence_frames": MAX_SEQUENCE_FRAMES}


def now_ms():
    return time.time() * 1000.0


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    rank = p / 100 * (len(ordered) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


class Sequence:
    """One open sequence: frames being reassembled and the facts of the receipt."""

    def __init__(self, seq, planned, detail):
        self.seq, self.planned, self.detail = seq, planned, detail
        self.partial = {}  # frame index -> [chunk_count, frame_bytes, capture, buffer, chunks seen, first ms]
        self.complete = set()
        self.drops = dict.fromkeys(DROP_REASONS, 0)
        self.bytes = 0
        self.width = self.height = 0
        self.t_first_chunk = None
        self.t_receive = None
        self.decode_ms, self.assembly_ms, self.order, self.complete_ms = [], [], [], []

    def add_chunk(self, data):
        if len(data) <= HEADER.size:
            return
        version, kind, header_bytes, seq, index, chunk_index, chunk_count, frame_bytes, offset, capture = \
            HEADER.unpack_from(data)
        payload = memoryview(data)[header_bytes:]
        if version != 1 or kind != 1 or header_bytes < HEADER.size or seq != self.seq:
            return
        if not (chunk_index < chunk_count and 0 < frame_bytes and offset + len(payload) <= frame_bytes):
            return
        received = now_ms()
        if self.t_first_chunk is None:
            self.t_first_chunk = received
        if frame_bytes > MAX_FRAME_BYTES:
            self.drops["oversized"] += 1
            return
        if index >= self.planned:
            self.drops["out_of_range"] += 1
            return
        if index in self.complete:
            self.drops["duplicate"] += 1
            return
        frame = self.partial.get(index)
        if frame is None:
            frame = [chunk_count, frame_bytes, capture, bytearray(frame_bytes), set(), received]
            self.partial[index] = frame
        if frame[0] != chunk_count or frame[1] != frame_bytes or chunk_index in frame[4]:
            del self.partial[index]
            self.drops["incomplete"] += 1
            return
        frame[3][offset:offset + len(payload)] = payload
        frame[4].add(chunk_index)
        if len(frame[4]) == chunk_count:
            del self.partial[index]
            self.frame_complete(index, frame, received)

    def frame_complete(self, index, frame, received):
        self.complete.add(index)
        self.t_receive = received
        self.bytes += frame[1]
        self.assembly_ms.append(received - frame[5])
        self.order.append(index)
        self.complete_ms.append(received)
        start = time.perf_counter()
        try:
            image = Image.open(io.BytesIO(frame[3]))
            image.load()
            self.width, self.height = image.size
            self.decode_ms.append((time.perf_counter() - start) * 1000)
        except Exception:  # a frame that does not decode is dropped and counted, as the server does
            self.drops["bad_jpeg"] += 1

    def receipt(self):
        self.drops["incomplete"] += len(self.partial)
        message = {
            "type": "receipt", "seq": self.seq,
            "frames": {"expected": self.planned, "received": len(self.complete), "decoded": len(self.decode_ms),
                       "dropped": self.drops},
            "bytes": self.bytes, "width": self.width, "height": self.height,
            "t_first_chunk": self.t_first_chunk, "t_receive": self.t_receive, "t_receipt": now_ms(),
            "decode_ms": {"median": statistics.median(self.decode_ms) if self.decode_ms else None,
                          "max": max(self.decode_ms, default=None)},
            "assembly_ms": {"p50": percentile(self.assembly_ms, 50), "p95": percentile(self.assembly_ms, 95)},
        }
        if self.detail:
            message["detail"] = {"frame_index": self.order, "decode_ms": self.decode_ms,
                                 "assembly_ms": self.assembly_ms, "complete_ms": self.complete_ms}
        return message


class Session:
    def __init__(self, ws):
        self.ws = ws
        self.pc = None
        self.sequence = None
        self.closed = False

    async def send(self, message):
        if not self.closed:
            await self.ws.send_text(json.dumps(message))

    async def on_message(self, message):
        kind = message.get("type")
        if kind == "ping":
            received = now_ms()
            await self.send({"type": "pong", "t0": message.get("t0"), "t1": received, "t2": now_ms()})
        elif kind == "offer":
            await self.on_offer(message["sdp"])
        elif kind == "candidate":
            await self.on_candidate(message.get("candidate") or {})
        else:
            await self.send({"type": "error", "code": "unknown_type", "message": f"unknown type {kind!r}"})

    async def on_offer(self, sdp):
        self.pc = RTCPeerConnection()

        @self.pc.on("datachannel")
        def on_datachannel(channel):
            asyncio.ensure_future(self.send({"type": "channel-open", "server_time": now_ms()}))

            @channel.on("message")
            def on_channel_message(data):
                if isinstance(data, str):
                    asyncio.ensure_future(self.on_control(json.loads(data)))
                elif self.sequence is not None:
                    self.sequence.add_chunk(data)

        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        # aiortc gathers before it answers: its candidates are inside the answer (no trickle).
        await self.send({"type": "answer", "sdp": self.pc.localDescription.sdp})

    async def on_candidate(self, init):
        line = init.get("candidate") or ""
        if not line or self.pc is None:
            return
        candidate = candidate_from_sdp(line.split(":", 1)[1] if line.startswith("candidate:") else line)
        candidate.sdpMid = init.get("sdpMid")
        candidate.sdpMLineIndex = init.get("sdpMLineIndex")
        await self.pc.addIceCandidate(candidate)

    async def on_control(self, message):
        if message.get("type") == "sequence-start":
            self.sequence = Sequence(int(message["seq"]), min(int(message["frames"]), MAX_SEQUENCE_FRAMES),
                                     bool(message.get("detail")))
        elif message.get("type") == "sequence-end" and self.sequence is not None \
                and self.sequence.seq == message.get("seq"):
            receipt = self.sequence.receipt()
            self.sequence = None
            await self.send(receipt)

    async def close(self):
        self.closed = True
        if self.pc is not None:
            await self.pc.close()


app = FastAPI()


@app.websocket("/ws")
async def websocket(ws: WebSocket):
    await ws.accept()
    session = Session(ws)
    await session.send({"type": "welcome", "session": str(uuid.uuid4()), "server_time": now_ms(),
                        "config": CONFIG, "ice_servers": [], "model": None})
    try:
        while True:
            await session.on_message(json.loads(await ws.receive_text()))
    except WebSocketDisconnect:
        pass
    finally:
        await session.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.address, args.port))
    config = uvicorn.Config(app, ssl_certfile=args.cert, ssl_keyfile=args.key, ws="websockets",
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    print(f"listening on https://{args.address}:{sock.getsockname()[1]}/", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
