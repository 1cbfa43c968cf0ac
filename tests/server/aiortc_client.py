#!/usr/bin/python3
"""A client for the sueo server written from docs/protocol.md alone, on another WebRTC stack (Debian's
aiortc 1.4), so the document stays a complete contract for a third party (issue 11). It starts the
real `sueo serve` on 127.0.0.1, checks every field of welcome, pong, answer, candidates, receipt and
result against the types and ranges the document states, streams a committed KSL clip as the document
says (chunk size from the welcome config and the answer's a=max-message-size, sequence-end right after
the last frame) and expects the clip's word. Exit 0 when all holds.

Test-only tooling on Debian's /usr/bin/python3 (python3-aiortc, python3-websockets); never in the
serving path.
"""
import asyncio
import json
import math
import os
import re
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BUILD = os.environ.get('SUEO_BUILD_DIR', os.path.join(ROOT, 'build'))
CLIP = os.path.join(ROOT, 'tests', 'data', 'clips', 'c01_hi_s11_f8e48f6c.mp4')
HEADER = struct.Struct('>BBHIIHHIId')  # docs/protocol.md §2: 32 bytes, network order


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def start_server():
    certs = os.path.join(BUILD, 'test-certs')
    args = [os.path.join(BUILD, 'sueo'), 'serve', '--address', '127.0.0.1', '--port', '0', '--qr', '0',
            '--cert', os.path.join(certs, 'cert.pem'), '--key', os.path.join(certs, 'key.pem'),
            '--ca-cert', os.path.join(certs, 'rootCA.pem')]
    server = subprocess.Popen(args, cwd=ROOT, env={**os.environ, 'SUEO_HOME': ROOT}, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = server.stdout.readline()
        match = re.search(r'listening on (https://127\.0\.0\.1:\d+/)', line)
        if match:
            return server, match.group(1), os.path.join(certs, 'rootCA.pem')
    server.kill()
    raise RuntimeError('sueo serve did not start')


def clip_jpegs(width, height, fps, quality):
    """The clip as the page would send it: `fps` frames a second, scaled to fit width×height."""
    folder = tempfile.mkdtemp(prefix='sueo-aiortc-')
    scale = f'scale={width}:{height}:force_original_aspect_ratio=decrease'
    qscale = str(max(2, min(31, round(31 - quality * 29))))
    subprocess.run(['ffmpeg', '-loglevel', 'error', '-i', CLIP, '-vf', f'fps={fps},{scale}', '-q:v', qscale,
                    os.path.join(folder, 'f%03d.jpg')], check=True)
    names = sorted(os.listdir(folder))
    frames = [open(os.path.join(folder, name), 'rb').read() for name in names]
    return frames


class Client:
    def __init__(self, ws):
        self.ws = ws
        self.inbox = []

    async def next(self, predicate, timeout=60.0):
        deadline = time.time() + timeout
        while True:
            for message in self.inbox:
                if predicate(message):
                    self.inbox.remove(message)
                    return message
            remaining = deadline - time.time()
            check(remaining > 0, 'no matching message in time; got ' + json.dumps(self.inbox)[:2000])
            try:
                text = await asyncio.wait_for(self.ws.recv(), remaining)
            except asyncio.TimeoutError:
                continue
            check(isinstance(text, str), '/ws messages are text')
            message = json.loads(text)
            check(isinstance(message, dict) and isinstance(message.get('type'), str), 'a message is an object with a type')
            self.inbox.append(message)

    def send(self, message):
        return self.ws.send(json.dumps(message))


# One recognised sign (docs/protocol.md §4.1): a named word, or null with a reason code.
def check_answer(answer, what):
    named = answer['word'] is not None
    check(isinstance(answer['word'], str) if named else answer['reason'] in
          ('no_person', 'no_sign', 'unknown_sign', 'low_confidence', 'no_model'), f'{what}.word/reason')
    if named:
        check(isinstance(answer['gloss'], str) and number(answer['score']) and 0 <= answer['score'] <= 1, f'{what}.gloss/score')
    else:
        check(isinstance(answer['message'], str) and answer['message'], f'{what}.message')
    check(isinstance(answer['top'], list) and len(answer['top']) <= 3, f'{what}.top')
    check(number(answer['similarity']) and -1 <= answer['similarity'] <= 1, f'{what}.similarity')
    check(number(answer['start_ms']) and number(answer['end_ms']), f'{what}.start_ms/end_ms')
    check(isinstance(answer['frames'], list), f'{what}.frames')


def check_welcome(welcome):
    check(isinstance(welcome['session'], str) and welcome['session'], 'welcome.session')
    check(number(welcome['server_time']) and welcome['server_time'] > 1.6e12, 'welcome.server_time')
    config = welcome['config']
    for key in ('fps', 'width', 'height', 'max_chunk_bytes', 'max_frame_bytes', 'max_sequence_frames'):
        check(isinstance(config[key], int) and config[key] > 0, f'welcome.config.{key}')
    check(number(config['jpeg_quality']) and 0 < config['jpeg_quality'] <= 1, 'welcome.config.jpeg_quality')
    check(number(config['sequence_seconds']) and config['sequence_seconds'] > 0, 'welcome.config.sequence_seconds')
    check(isinstance(welcome['ice_servers'], list), 'welcome.ice_servers')
    model = welcome['model']
    check(model is None or (isinstance(model['name'], str) and isinstance(model['labels'], list)
                            and all(isinstance(l['word'], str) for l in model['labels'])
                            and model['input'][0] == 1 and model['input'][2] == 258 and model['ready'] is True
                            and isinstance(model['teach'], bool)),
          'welcome.model')
    return config


def chunks(seq, index, jpeg, capture_ms, max_bytes):
    room = max_bytes - HEADER.size
    count = max(1, -(-len(jpeg) // room))
    for i in range(count):
        payload = jpeg[i * room:(i + 1) * room]
        yield HEADER.pack(1, 1, 32, seq, index, i, count, len(jpeg), i * room, capture_ms) + payload


async def run(url, ca):
    context = ssl.create_default_context(cafile=ca)
    async with websockets.connect(url.replace('https://', 'wss://') + 'ws', ssl=context, max_size=2 ** 22) as ws:
        client = Client(ws)
        config = check_welcome(await client.next(lambda m: m['type'] == 'welcome'))

        await client.send({'type': 'ping', 't0': 1234.5})
        pong = await client.next(lambda m: m['type'] == 'pong')
        check(pong['t0'] == 1234.5 and number(pong['t1']) and pong['t2'] >= pong['t1'], 'pong t0/t1/t2')

        pc = RTCPeerConnection()
        channel = pc.createDataChannel('frames', ordered=True)
        opened = asyncio.get_running_loop().create_future()
        channel.on('open', lambda: opened.done() or opened.set_result(True))
        await pc.setLocalDescription(await pc.createOffer())  # aiortc puts its candidates in the offer
        await client.send({'type': 'offer', 'sdp': pc.localDescription.sdp})
        answer = await client.next(lambda m: m['type'] == 'answer')
        check(answer['sdp'].startswith('v=0'), 'answer.sdp')
        max_message = re.search(r'a=max-message-size:(\d+)', answer['sdp'])
        check(max_message is not None, 'the answer states a=max-message-size')
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer['sdp'], type='answer'))
        while True:  # the server trickles its candidates, then an empty one: end of candidates
            message = await client.next(lambda m: m['type'] == 'candidate')
            init = message['candidate']
            check(isinstance(init['sdpMid'], str) and isinstance(init['sdpMLineIndex'], int), 'candidate mid/index')
            if init['candidate'] == '':
                break
            candidate = candidate_from_sdp(init['candidate'].split(':', 1)[1])
            candidate.sdpMid, candidate.sdpMLineIndex = init['sdpMid'], init['sdpMLineIndex']
            await pc.addIceCandidate(candidate)
        await asyncio.wait_for(opened, 30)
        check(number((await client.next(lambda m: m['type'] == 'channel-open'))['server_time']), 'channel-open')

        # A sequence-start out of range is refused and opens nothing.
        channel.send(json.dumps({'type': 'sequence-start', 'seq': 1, 'frames': 10, 'fps': 1e9, 'width': 640,
                                 'height': 480, 't_start': time.time() * 1000}))
        refused = await client.next(lambda m: m['type'] == 'error')
        check(refused['code'] == 'bad_message' and 'fps' in refused['message'], 'fps out of range: bad_message')

        frames = clip_jpegs(config['width'], config['height'], config['fps'], config['jpeg_quality'])
        frames = frames[:config['max_sequence_frames']]
        chunk_bytes = min(config['max_chunk_bytes'], int(max_message.group(1)), 65536)
        seq = 77
        t_start = time.time() * 1000
        channel.send(json.dumps({'type': 'sequence-start', 'seq': seq, 'frames': len(frames), 'fps': config['fps'],
                                 'width': config['width'], 'height': config['height'], 't_start': t_start}))
        for index, jpeg in enumerate(frames):
            for chunk in chunks(seq, index, jpeg, time.time() * 1000, chunk_bytes):
                channel.send(chunk)
            while channel.bufferedAmount > 1 << 20:  # the page's pacing
                await asyncio.sleep(0.005)
            await asyncio.sleep(1 / config['fps'])
        channel.send(json.dumps({'type': 'sequence-end', 'seq': seq, 'frames': len(frames),
                                 't_last_sent': time.time() * 1000}))  # right after the last frame

        receipt = await client.next(lambda m: m['type'] == 'receipt', 120)
        check(receipt['seq'] == seq, 'receipt.seq')
        counts = receipt['frames']
        check(counts['expected'] == counts['received'] == counts['decoded'] == len(frames), 'receipt.frames ' + json.dumps(counts))
        check(set(counts['dropped']) == {'incomplete', 'duplicate', 'oversized', 'out_of_range', 'bad_jpeg', 'overloaded'}
              and sum(counts['dropped'].values()) == 0, 'receipt.frames.dropped')
        check(receipt['bytes'] == sum(len(f) for f in frames), 'receipt.bytes')
        check(0 < receipt['width'] <= config['width'] and 0 < receipt['height'] <= config['height'], 'receipt size')
        check(receipt['t_first_chunk'] <= receipt['t_receive'] <= receipt['t_receipt'], 'receipt times')
        check(number(receipt['decode_ms']['median']) and number(receipt['assembly_ms']['p95']), 'receipt timings')

        result = await client.next(lambda m: m['type'] == 'result', 120)
        check(result['seq'] == seq, 'result.seq')
        check(result['word'] == '안녕' or result.get('gloss') == 'hi', 'the word of c01 (안녕, hi): ' + json.dumps(result, ensure_ascii=False)[:500])
        check(isinstance(result['top'], list) and 1 <= len(result['top']) <= 3, 'result.top')
        check(0 <= result['score'] <= 1, 'result.score')
        check(result['mode'] == 'window', 'result.mode')
        for key in ('words', 'signs'):
            check(isinstance(result[key], list), f'result.{key}')
            for answer in result[key]:
                check_answer(answer, f'result.{key}[]')
        check(any(a['word'] == result['word'] for a in result['words']), 'result.word is one of result.words')
        check(number(result['similarity']) and number(result['start_ms']) and number(result['end_ms']), 'result: the best answer')
        check(result['frames']['used'] + result['frames']['skipped'] <= len(frames), 'result.frames')
        stages = result['stages_ms']
        check(result['t_inference'] >= result['t_receive'] and number(stages['after_last_frame']), 'result times')
        print(f"aiortc client: {len(frames)} frames in {chunk_bytes}-byte chunks, word {result['word']} "
              f"({result['score']:.2f}), server {stages['after_last_frame']:.1f} ms after the last frame")
        await pc.close()


def main():
    server, url, ca = start_server()
    try:
        asyncio.run(asyncio.wait_for(run(url, ca), 300))
    finally:
        server.terminate()
        code = server.wait(60)
    check(code == 0, f'the server exits 0 on SIGTERM (got {code})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
