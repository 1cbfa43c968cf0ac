// Every text the user sees: Korean first, English beside it.
const TEXT = {
  title: ['수어 인식', 'Sign recognition'],
  start: ['시작', 'Start'],
  stop: ['정지', 'Stop'],
  connection: ['연결', 'Connection'],
  camera: ['카메라', 'Camera'],
  receipt: ['수신 확인', 'Receipt'],
  timings: ['시간', 'Timings'],
  'state.idle': ['대기', 'Idle'],
  'state.connecting': ['연결 중', 'Connecting'],
  'state.ready': ['서버 연결됨', 'Server connected'],
  'state.signaling': ['협상 중', 'Negotiating'],
  'state.open': ['연결됨', 'Connected'],
  'state.closed': ['연결 끊김', 'Disconnected'],
  'state.failed': ['연결 실패', 'Connection failed'],
  'state.unsupported': ['지원되지 않음', 'Not supported'],
  'camera.off': ['꺼짐', 'Off'],
  'camera.starting': ['켜는 중', 'Starting'],
  'camera.on': ['켜짐', 'On'],
  'camera.denied': ['권한 거부됨', 'Permission denied'],
  'seq.sending': ['전송 중', 'Sending'],
  'seq.waiting': ['수신 확인 대기', 'Waiting for receipt'],
  'seq.done': ['완료', 'Done'],
  'error.no_webrtc': [
    '이 브라우저는 WebRTC(RTCPeerConnection)를 지원하지 않습니다. 최신 Safari, Chrome 또는 Firefox를 사용하세요.',
    'This browser does not support WebRTC (RTCPeerConnection). Use a recent Safari, Chrome or Firefox.'],
  'error.no_camera_api': [
    '카메라를 사용할 수 없습니다 (HTTPS 연결과 카메라 권한이 필요합니다).',
    'The camera is not available (it needs an HTTPS connection and camera permission).'],
  'error.no_websocket': ['이 브라우저는 WebSocket을 지원하지 않습니다.', 'This browser does not support WebSocket.'],
  'error.server_busy': ['서버가 바쁩니다. 잠시 후 다시 시도하세요.', 'The server is busy. Try again shortly.'],
  'error.ws_closed': ['서버와의 연결이 끊겼습니다.', 'The connection to the server was lost.'],
  'error.peer_failed': ['WebRTC 연결에 실패했습니다.', 'The WebRTC connection failed.'],
  'error.camera': ['카메라를 켤 수 없습니다', 'Could not start the camera'],
  'error.server': ['서버 오류', 'Server error'],
  'error.timeout': ['수신 확인이 오지 않았습니다.', 'No receipt arrived.'],
  'label.expected': ['예정 프레임', 'Frames expected'],
  'label.received': ['받은 프레임', 'Frames received'],
  'label.decoded': ['디코딩된 프레임', 'Frames decoded'],
  'label.dropped': ['버린 프레임', 'Frames dropped'],
  'label.bytes': ['바이트', 'Bytes'],
  'label.decode_ms': ['디코딩 ms (중앙값/최대)', 'Decode ms (median/max)'],
  'label.assembly_ms': ['조립 ms (p50/p95)', 'Assembly ms (p50/p95)'],
  'label.page_sent': ['보낸 프레임 / 건너뜀', 'Frames sent / skipped'],
  'label.t_start': ['T_start (페이지 시계)', 'T_start (page clock)'],
  'label.t_receive': ['T_receive (서버 시계)', 'T_receive (server clock)'],
  'label.transfer': ['전송 지연 T_receive − T_start', 'Transfer latency T_receive − T_start'],
  'label.last_frame': ['마지막 프레임 지연', 'Last-frame latency'],
  'label.offset': ['시계 오프셋 (서버 − 페이지)', 'Clock offset (server − page)'],
  'label.rtt': ['왕복 지연', 'Round trip'],
  'label.open_ms': ['offer → 채널 열림', 'Offer → channel open'],
};

// "한국어 English" for a key; the key itself when it is unknown (a missing text is visible, not blank).
export function t(key) {
  const pair = TEXT[key];
  return pair ? `${pair[0]} ${pair[1]}` : key;
}

// Fills every element carrying data-i18n="key" with its text.
export function translatePage(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}
