#include "pipeline/landmark_runtimes.h"

namespace sueo {

landmarks::HolisticRuntimes& worker_landmark_runtimes(
    frames::WorkerContext& context, const std::shared_ptr<const landmarks::HolisticModels>& models) {
  // Comparing the shared_ptrs is safe from address reuse: the held set keeps its models alive.
  if (auto* held = context.locals.find<landmarks::HolisticRuntimes>(); held && held->models == models)
    return *held;
  return context.locals.put(std::make_unique<landmarks::HolisticRuntimes>(models));
}

}  // namespace sueo
