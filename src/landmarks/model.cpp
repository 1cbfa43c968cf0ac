#include "landmarks/model.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <stdexcept>

#include "landmarks/dnnl_builder.h"
#include "landmarks/tflite_reader.h"
#include "landmarks/xnn_builder.h"

namespace sueo::landmarks {
namespace {

TensorInfo info(const detail::Tensor& t) { return {t.name, t.shape}; }

size_t find(const std::vector<TensorInfo>& list, const std::string& name, const char* what) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name) return i;
  throw std::out_of_range(std::string("no model ") + what + " named \"" + name + "\"");
}

struct RuntimeDeleter {
  void operator()(xnn_runtime_t r) const { xnn_delete_runtime(r); }
};
struct ThreadpoolDeleter {
  void operator()(pthreadpool_t p) const { pthreadpool_destroy(p); }
};

}  // namespace

bool bf16_available() { return detail::cpu_has_native_bf16(); }

size_t TensorInfo::elements() const {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  return n;
}

Model::Model(std::string path, std::shared_ptr<const detail::Graph> graph,
             std::shared_ptr<const ActivationRanges> int8, Precision precision)
    : path_(std::move(path)), graph_(std::move(graph)), int8_(std::move(int8)), precision_(precision) {
  for (int t : graph_->inputs) inputs_.push_back(info(graph_->tensors[static_cast<size_t>(t)]));
  for (int t : graph_->outputs) outputs_.push_back(info(graph_->tensors[static_cast<size_t>(t)]));
}

std::shared_ptr<const Model> Model::load(const std::string& path, const std::vector<std::string>& outputs,
                                         std::shared_ptr<const ActivationRanges> int8, Precision precision) {
  if (precision == Precision::kBf16 && int8) throw std::invalid_argument(path + ": bf16 and int8 together");
  if (precision == Precision::kBf16 && !detail::cpu_has_native_bf16())
    throw std::runtime_error(path + ": bf16 landmarks need a CPU with AVX512_BF16 (oneDNN reports ISA without it); "
                             "use f32");
  auto graph = std::make_shared<const detail::Graph>(detail::read_tflite(path, outputs));
  auto model = std::make_shared<const Model>(path, std::move(graph), std::move(int8), precision);
  // Build the engine once now, so an unsupported layout fails at load, not in a worker.
  try {
    if (precision == Precision::kBf16) {
      detail::DnnlNet net(model->graph(), true);
      return model;
    }
    detail::OwnedData owned;
    detail::BuildOptions options;
    options.int8 = model->int8_ranges();
    detail::build_subgraph(model->graph(), owned, options);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return model;
}

size_t Model::input_index(const std::string& name) const { return find(inputs_, name, "input"); }
size_t Model::output_index(const std::string& name) const { return find(outputs_, name, "output"); }

struct Runtime::Impl {
  detail::OwnedData owned;  // weights made by the builder; must outlive `runtime`
  std::unique_ptr<pthreadpool, ThreadpoolDeleter> pool;
  std::unique_ptr<xnn_runtime, RuntimeDeleter> runtime;
  std::vector<std::vector<float>> inputs, outputs;
  std::unique_ptr<detail::DnnlNet> dnnl;  // set: a kBf16 model, the XNNPACK members are unused
};

Runtime::Runtime(std::shared_ptr<const Model> model, int threads)
    : model_(std::move(model)), impl_(std::make_unique<Impl>()) {
  if (model_->precision() == Precision::kBf16) {
    try {
      impl_->dnnl = std::make_unique<detail::DnnlNet>(model_->graph(), true, threads);
    } catch (const std::exception& e) {
      throw std::runtime_error(model_->path() + ": " + e.what());
    }
    return;
  }
  detail::BuildOptions options;
  options.int8 = model_->int8_ranges();
  auto subgraph = detail::build_subgraph(model_->graph(), impl_->owned, options);
  if (threads > 1) {
    impl_->pool.reset(pthreadpool_create(static_cast<size_t>(threads)));
    if (!impl_->pool) throw std::runtime_error(model_->path() + ": pthreadpool_create failed");
  }
  xnn_runtime_t runtime = nullptr;
  const auto status = xnn_create_runtime_v2(subgraph.get(), impl_->pool.get(), 0, &runtime);
  if (status != xnn_status_success)
    throw std::runtime_error(model_->path() + ": xnn_create_runtime_v2 failed (xnn_status " +
                             std::to_string(status) + ")");
  impl_->runtime.reset(runtime);

  // XNNPACK may read XNN_EXTRA_BYTES past the end of an input; the buffers never move, so the runtime
  // is set up once here and run() only invokes it.
  constexpr size_t kSlack = XNN_EXTRA_BYTES / sizeof(float);
  std::vector<xnn_external_value> externals;
  for (size_t i = 0; i < model_->inputs().size(); ++i) {
    impl_->inputs.emplace_back(model_->inputs()[i].elements() + kSlack, 0.0f);
    externals.push_back({static_cast<uint32_t>(i), impl_->inputs.back().data()});
  }
  for (size_t j = 0; j < model_->outputs().size(); ++j) {
    impl_->outputs.emplace_back(model_->outputs()[j].elements() + kSlack, 0.0f);
    externals.push_back({static_cast<uint32_t>(model_->inputs().size() + j), impl_->outputs.back().data()});
  }
  if (xnn_setup_runtime(runtime, externals.size(), externals.data()) != xnn_status_success)
    throw std::runtime_error(model_->path() + ": xnn_setup_runtime failed");
}

Runtime::~Runtime() = default;

float* Runtime::input(size_t i) { return impl_->dnnl ? impl_->dnnl->input(i) : impl_->inputs.at(i).data(); }
const float* Runtime::input(size_t i) const {
  return impl_->dnnl ? impl_->dnnl->input(i) : impl_->inputs.at(i).data();
}

void Runtime::run() {
  if (hook_) hook_(*this);
  if (impl_->dnnl) {
    try {
      impl_->dnnl->run();
    } catch (const dnnl::error& e) {
      throw std::runtime_error(model_->path() + ": oneDNN run failed: " + e.what());
    }
    return;
  }
  const auto status = xnn_invoke_runtime(impl_->runtime.get());
  if (status != xnn_status_success)
    throw std::runtime_error(model_->path() + ": xnn_invoke_runtime failed (xnn_status " +
                             std::to_string(status) + ")");
}

const float* Runtime::output(size_t i) const {
  return impl_->dnnl ? impl_->dnnl->output(i) : impl_->outputs.at(i).data();
}
size_t Runtime::output_size(size_t i) const { return model_->outputs().at(i).elements(); }

}  // namespace sueo::landmarks
