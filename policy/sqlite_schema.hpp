#pragma once

// The SQLite store's schema (docs/stores.md, "Migrations"), applied by open_db (sqlite_writer.cpp)
// inside one transaction; PRAGMA user_version holds the version a file is at.

#include <iterator>

#include "policy/sqlite_store.hpp"

namespace policy::sqlite_detail {

// Schema migrations: index i brings the schema from version i to i + 1. Append only.
inline constexpr const char* migrations[] = {
    // v1
    R"sql(
CREATE TABLE suppressions(
  number_key TEXT NOT NULL, sender TEXT NOT NULL, reason TEXT NOT NULL, source TEXT NOT NULL,
  at_ms INTEGER NOT NULL, e164_sealed TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (number_key, sender)) WITHOUT ROWID;
CREATE TABLE consents(
  number_key TEXT NOT NULL, category TEXT NOT NULL, sender TEXT NOT NULL, source TEXT NOT NULL,
  evidence TEXT NOT NULL, at_ms INTEGER NOT NULL, e164_sealed TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (number_key, category, sender)) WITHOUT ROWID;
CREATE TABLE consent_ledger(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, number_key TEXT NOT NULL, category TEXT NOT NULL,
  sender TEXT NOT NULL, granted INTEGER NOT NULL, source TEXT NOT NULL, evidence TEXT NOT NULL,
  at_ms INTEGER NOT NULL, e164_sealed TEXT NOT NULL DEFAULT '');
CREATE INDEX consent_ledger_by_number ON consent_ledger(number_key, seq);
CREATE TABLE cap_events(
  number_key TEXT NOT NULL, category TEXT NOT NULL, campaign TEXT NOT NULL, at_ms INTEGER NOT NULL,
  message_id TEXT NOT NULL);
CREATE INDEX cap_events_by_number ON cap_events(number_key, category, at_ms);
CREATE TABLE messages(
  id TEXT PRIMARY KEY, number_key TEXT NOT NULL, e164_sealed TEXT NOT NULL, carrier TEXT NOT NULL,
  sender TEXT NOT NULL, text TEXT NOT NULL, category TEXT NOT NULL, campaign TEXT NOT NULL,
  client_ref TEXT NOT NULL, segments INTEGER NOT NULL, encoding TEXT NOT NULL,
  status TEXT NOT NULL, carrier_message_id TEXT NOT NULL, error TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, send_at_ms INTEGER NOT NULL,
  valid_until_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, scope TEXT NOT NULL)
  WITHOUT ROWID;
CREATE INDEX messages_by_number ON messages(number_key);
CREATE INDEX messages_by_update ON messages(updated_ms);
CREATE TABLE queue(
  message_id TEXT NOT NULL UNIQUE, carrier TEXT NOT NULL, due_ms INTEGER NOT NULL,
  lease_id TEXT NOT NULL DEFAULT '', deliveries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX queue_by_due ON queue(carrier, due_ms);
CREATE TABLE correlations(
  carrier TEXT NOT NULL, carrier_message_id TEXT NOT NULL, message_id TEXT NOT NULL,
  expires_ms INTEGER NOT NULL, PRIMARY KEY (carrier, carrier_message_id)) WITHOUT ROWID;
CREATE TABLE idempotency(
  key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, message_id TEXT NOT NULL,
  response TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE webhook_outbox(
  event_id TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, dead INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL, lease_id TEXT NOT NULL DEFAULT '',
  dead_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX webhook_outbox_due ON webhook_outbox(dead, next_attempt_ms);
)sql",
    // v2: the API key that sent a message (its webhook URLs receive the status events)
    R"sql(
ALTER TABLE messages ADD COLUMN api_key TEXT NOT NULL DEFAULT '';
)sql",
    // v3: fewer B-tree writes per message (docs/performance.md, "SQLite CPU and WAL per message").
    // cap_events keyed by what it is looked up and deleted by (one B-tree instead of a rowid table
    // and an index); the index for purge holds final messages only (the admission, the claim and
    // `submitted` no longer touch it). Every cap event is copied: a duplicate key would fail the
    // migration (and leave the file at v2) rather than lose one.
    R"sql(
ALTER TABLE cap_events RENAME TO cap_events_v2;
CREATE TABLE cap_events(
  number_key TEXT NOT NULL, category TEXT NOT NULL, at_ms INTEGER NOT NULL, message_id TEXT NOT NULL,
  campaign TEXT NOT NULL, PRIMARY KEY (number_key, category, at_ms, message_id)) WITHOUT ROWID;
INSERT INTO cap_events(number_key, category, at_ms, message_id, campaign)
  SELECT number_key, category, at_ms, message_id, campaign FROM cap_events_v2;
DROP TABLE cap_events_v2;
DROP INDEX messages_by_update;
CREATE INDEX messages_final_by_update ON messages(updated_ms)
  WHERE status='delivered' OR status='undeliverable' OR status='expired' OR status='rejected' OR status='failed';
)sql",
};
static_assert(std::size(migrations) == sqlite_store::schema_version);

}  // namespace policy::sqlite_detail
