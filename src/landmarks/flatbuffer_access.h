// Bounds-checked reads of untyped flatbuffer tables (flatbuffers::Table + Verifier from
// libflatbuffers-dev, no generated code). Every read verifies what it touches first, so a truncated or
// corrupt file throws instead of reading past the buffer. Thread: one FlatbufferAccess per parse.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace sueo::landmarks::detail {

class FlatbufferAccess {
 public:
  using Table = flatbuffers::Table;
  using Slot = flatbuffers::voffset_t;

  explicit FlatbufferAccess(std::span<const uint8_t> bytes)
      : bytes_(bytes), verifier_(bytes.data(), bytes.size()) {}

  // The root table of a buffer carrying `identifier` (4 chars) at bytes 4..7.
  const Table* root(const char* identifier) {
    check(bytes_.size() >= 8 && flatbuffers::BufferHasIdentifier(bytes_.data(), identifier), "identifier");
    const auto offset = verifier_.VerifyOffset(0);
    check(offset != 0, "root offset");
    return checked_table(reinterpret_cast<const Table*>(bytes_.data() + offset), "root table");
  }

  // A sub-table, or nullptr when the field is absent.
  const Table* table(const Table* t, Slot slot) {
    check(t->VerifyOffset(verifier_, slot), "table offset");
    const auto* sub = t->GetPointer<const Table*>(slot);
    return sub ? checked_table(sub, "table") : nullptr;
  }

  template <class T>
  T scalar(const Table* t, Slot slot, T default_value) {
    check(t->VerifyField<T>(verifier_, slot, sizeof(T)), "scalar field");
    return t->GetField<T>(slot, default_value);
  }

  // A vector of scalars, copied out (empty when absent).
  template <class T>
  std::vector<T> vector(const Table* t, Slot slot) {
    const auto* v = checked_vector<T>(t, slot);
    std::vector<T> out(v ? v->size() : 0);
    if (!out.empty()) std::memcpy(out.data(), v->Data(), out.size() * sizeof(T));
    return out;
  }

  // A vector of bytes, viewed in place (empty when absent).
  std::span<const uint8_t> bytes(const Table* t, Slot slot) {
    const auto* v = checked_vector<uint8_t>(t, slot);
    return v ? std::span<const uint8_t>(v->Data(), v->size()) : std::span<const uint8_t>();
  }

  // A vector of tables (empty when absent).
  std::vector<const Table*> tables(const Table* t, Slot slot) {
    const auto* v = checked_vector<flatbuffers::Offset<Table>>(t, slot);
    std::vector<const Table*> out;
    if (!v) return out;
    out.reserve(v->size());
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i)
      out.push_back(checked_table(v->Get(i), "table in vector"));
    return out;
  }

  std::string string(const Table* t, Slot slot) {
    check(t->VerifyOffset(verifier_, slot), "string offset");
    const auto* s = t->GetPointer<const flatbuffers::String*>(slot);
    check(verifier_.VerifyString(s), "string");
    return s ? s->str() : std::string();
  }

 private:
  void check(bool ok, const char* what) const {
    if (!ok) throw std::runtime_error(std::string("truncated or corrupt flatbuffer (bad ") + what + ")");
  }
  const Table* checked_table(const Table* t, const char* what) {
    check(t != nullptr && t->VerifyTableStart(verifier_), what);
    verifier_.EndTable();  // we verify each table when we reach it, so depth does not accumulate
    return t;
  }
  template <class T>
  const flatbuffers::Vector<T>* checked_vector(const Table* t, Slot slot) {
    check(t->VerifyOffset(verifier_, slot), "vector offset");
    const auto* v = t->GetPointer<const flatbuffers::Vector<T>*>(slot);
    check(verifier_.VerifyVector(v), "vector");
    return v;
  }

  std::span<const uint8_t> bytes_;
  flatbuffers::Verifier verifier_;
};

}  // namespace sueo::landmarks::detail
