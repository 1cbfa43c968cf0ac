#include "app/commands.h"

namespace sueo::app {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"serve", "HTTPS + WebRTC server: the page, /ws, /healthz", run_serve},
      {"recognize", "the word signed in each video or folder of JPEG frames, as the server would see it (JSON lines)",
       run_recognize},
      {"spot", "every sign in each video with its times: JSON lines, or WebVTT captions (--vtt)", run_spot},
      {"eval", "score a sign model on a labelled landmark set (.npz)", run_eval},
      {"extract", "landmarks (MediaPipe Holistic layout, 258 a frame) of videos into an .npz", run_extract},
      {"streams", "the spotting evaluation's streams: `render` realistic streams from clips, `read` the signs in them",
       run_streams},
      {"vocab", "taught words: list, add (from videos or landmark sets), remove, rename, export, import", run_vocab},
      {"calibrate", "activation ranges of the int8 landmark models from the tune signers' clips (--measure: int8 vs float)",
       run_calibrate},
      {"bench", "latency: `sueo bench landmarks` (per stage, vs MediaPipe itself)", run_bench},
  };
  return table;
}

}  // namespace sueo::app
