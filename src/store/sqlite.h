// A thin RAII layer over the SQLite C API (Debian libsqlite3-dev): a connection, prepared statements
// and a transaction guard, each owning its handle; every failed call throws StoreError naming what was
// being done and SQLite's message. Only what the vocabulary store needs.
// Thread: one Database per thread at a time (the store serialises its own use with a mutex).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sueo::store {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Statement;

class Database {
 public:
  // Opens (creating when absent) the file. Throws StoreError.
  explicit Database(const std::string& path);

  void exec(const std::string& sql);  // statements without results (schema, pragmas)
  Statement prepare(const std::string& sql);
  int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_.get()); }
  int changes() const { return sqlite3_changes(db_.get()); }
  sqlite3* handle() const { return db_.get(); }
  const std::string& path() const { return path_; }

  [[noreturn]] void fail(const std::string& doing) const;

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Close> db_;
  std::string path_;
};

class Statement {
 public:
  Statement(const Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, const void* data, size_t bytes);
  bool step();  // true: a row is ready; false: done. Throws StoreError.
  void run();   // steps to the end (INSERT/UPDATE/DELETE)
  void reset();

  int64_t integer(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
  std::string text(int column) const;
  std::string_view blob(int column) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };
  const Database* db_;
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

// BEGIN IMMEDIATE (a write) or BEGIN (a read: one consistent snapshot) on construction; ROLLBACK on
// destruction unless commit() ran: a write either lands whole or not at all, also when an exception
// leaves the scope.
class Transaction {
 public:
  enum class Kind { kWrite, kRead };
  explicit Transaction(Database& db, Kind kind = Kind::kWrite);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace sueo::store
