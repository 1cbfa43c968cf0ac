// The Teach view's texts: Korean first, English beside it (as web/i18n.js does for the rest).
const TEXT = {
  'tab.recognize': ['인식', 'Recognize'],
  'tab.teach': ['가르치기', 'Teach'],
  'teach.title': ['새 단어 가르치기', 'Teach a new word'],
  'teach.intro': ['단어를 쓰고, 그 수어를 3–5번 녹화한 뒤 저장하세요. 저장하면 바로 인식됩니다.',
    'Type the word, record its sign 3–5 times, then save. It is recognised right away.'],
  'teach.readonly': ['읽기 전용: 단어를 가르치거나 지우려면 가르치기 토큰을 입력하세요 (서버를 켤 때 화면에 나옵니다).',
    'Read-only: enter the teach token to teach or delete words (the server prints it when it starts).'],
  'teach.token': ['가르치기 토큰', 'Teach token'],
  'teach.unlock': ['잠금 해제', 'Unlock'],
  'teach.lock': ['잠그기', 'Lock'],
  'teach.unlocked': ['가르치기 가능', 'Teaching enabled'],
  'teach.token_wrong': ['토큰이 맞지 않습니다.', 'That token is not right.'],
  'teach.unavailable': ['이 서버의 모델은 새 단어를 배울 수 없습니다 (임베딩 출력이 없음).',
    "This server's model cannot learn new words (it has no embedding output)."],
  'teach.word': ['단어 (한국어)', 'Word (Korean)'],
  'teach.gloss': ['뜻 (영어, 선택)', 'Gloss (English, optional)'],
  'teach.record': ['예시 녹화', 'Record an example'],
  'teach.recording': ['녹화 중… 수어를 하세요', 'Recording… sign now'],
  'teach.waiting': ['처리 중', 'Processing'],
  'teach.now': ['지금!', 'Now!'],
  'teach.examples': ['예시', 'Examples'],
  'teach.need': ['최소 3개', 'at least 3'],
  'teach.redo': ['다시', 'Redo'],
  'teach.no_hands': ['손이 보이지 않았습니다. 화면 안에서 다시 해 보세요.', 'No hands were seen. Try again within the picture.'],
  'teach.no_sign': ['수어 동작을 찾지 못했습니다. 손을 내리고 있다가 수어를 하고 다시 손을 내려 보세요.',
    'No sign was found in the take. Rest, sign, then rest again.'],
  'teach.model_sees': ['모델의 판단', 'The model reads it as'],
  'teach.save': ['저장', 'Save'],
  'teach.saved': ['저장했습니다', 'Saved'],
  'teach.usable': ['사용 가능까지', 'usable after'],
  'teach.list': ['가르친 단어', 'Taught words'],
  'teach.none': ['아직 가르친 단어가 없습니다.', 'No words taught yet.'],
  'teach.rename': ['이름 바꾸기', 'Rename'],
  'teach.delete': ['삭제', 'Delete'],
  'teach.confirm_delete': ['정말 삭제?', 'Really delete?'],
  'teach.ok': ['확인', 'OK'],
  'teach.cancel': ['취소', 'Cancel'],
  'teach.count': ['개', ''],
  'teach.error': ['오류', 'Error'],
  'teach.frames': ['프레임', 'frames'],
};

export function tt(key) {
  const pair = TEXT[key];
  return pair ? (pair[1] ? `${pair[0]} · ${pair[1]}` : pair[0]) : key;
}

// Korean alone, for the big labels where both would not fit.
export function ko(key) {
  return TEXT[key] ? TEXT[key][0] : key;
}
