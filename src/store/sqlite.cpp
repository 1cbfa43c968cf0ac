#include "store/sqlite.h"

namespace sueo::store {

Database::Database(const std::string& path) : path_(path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  db_.reset(raw);  // sqlite3_open_v2 may hand back a handle even on failure: it must still be closed
  if (rc != SQLITE_OK) {
    throw StoreError("cannot open vocabulary store '" + path + "': " +
                     (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  // A writer that finds the file locked by another process waits up to 5 s instead of failing at once.
  sqlite3_busy_timeout(raw, 5000);
}

void Database::fail(const std::string& doing) const {
  throw StoreError("vocabulary store '" + path_ + "': " + doing + ": " + sqlite3_errmsg(db_.get()));
}

void Database::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw StoreError("vocabulary store '" + path_ + "': " + sql.substr(0, 60) + ": " + text);
  }
}

Statement Database::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    sqlite3_finalize(stmt);
    fail("prepare " + sql.substr(0, 60));
  }
  return Statement(*this, stmt);
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_.get(), index, value) != SQLITE_OK) db_->fail("bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_->fail("bind");
  return *this;
}

Statement& Statement::bind_blob(int index, const void* data, size_t bytes) {
  if (sqlite3_bind_blob64(stmt_.get(), index, data, bytes, SQLITE_TRANSIENT) != SQLITE_OK) db_->fail("bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("step");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)))
           : std::string();
}

std::string_view Statement::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_.get(), column);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)))
           : std::string_view();
}

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
  db_.exec(kind == Kind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (done_) return;
  char* message = nullptr;  // never throw from a destructor: a failed rollback leaves SQLite's own recovery
  sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, &message);
  sqlite3_free(message);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace sueo::store
