-- The sample POS schema on SQLite (the `storebridge demo --pos sql` shop): the same tables as
-- schema_postgresql.sql. updated_at is ISO 8601 text in UTC with milliseconds, kept by triggers;
-- text of one fixed width compares like the instants it names. SQLite has no decimal type:
-- money is TEXT ('19.99'), kept exact, and quantities are whole INTEGERs.

CREATE TABLE items (
  item_no     TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  category    TEXT,
  description TEXT,
  price       TEXT    NOT NULL,
  sale_price  TEXT   ,
  sale_from   TEXT,
  sale_to     TEXT,
  web         INTEGER NOT NULL DEFAULT 0,
  weight_kg   TEXT   ,
  is_style    INTEGER NOT NULL DEFAULT 0,
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE variants (
  sku         TEXT PRIMARY KEY,
  item_no     TEXT NOT NULL REFERENCES items (item_no),
  colour      TEXT,
  size        TEXT,
  price       TEXT   ,
  active      INTEGER NOT NULL DEFAULT 1,
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE locations (
  code        TEXT PRIMARY KEY,
  name        TEXT NOT NULL
);

CREATE TABLE stock (
  sku         TEXT NOT NULL REFERENCES variants (sku),
  location    TEXT NOT NULL REFERENCES locations (code),
  qty         INTEGER NOT NULL DEFAULT 0,
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (sku, location)
);

CREATE INDEX items_updated ON items (updated_at);
CREATE INDEX variants_updated ON variants (updated_at);
CREATE INDEX stock_updated ON stock (updated_at);

CREATE TRIGGER items_touch AFTER UPDATE ON items FOR EACH ROW
BEGIN
  UPDATE items SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE item_no = NEW.item_no;
END;

CREATE TRIGGER variants_touch AFTER UPDATE ON variants FOR EACH ROW
BEGIN
  UPDATE variants SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE sku = NEW.sku;
END;

CREATE TRIGGER stock_touch AFTER UPDATE ON stock FOR EACH ROW
BEGIN
  UPDATE stock SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
   WHERE sku = NEW.sku AND location = NEW.location;
END;

CREATE TABLE customers (
  customer_no INTEGER PRIMARY KEY AUTOINCREMENT,
  email       TEXT,
  name        TEXT NOT NULL,
  city        TEXT
);

CREATE TABLE invoices (
  invoice_no   INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_no  INTEGER REFERENCES customers (customer_no),
  invoice_date TEXT NOT NULL,
  total        TEXT    NOT NULL,
  web_ref      TEXT UNIQUE
);

CREATE TABLE invoice_lines (
  invoice_no  INTEGER NOT NULL REFERENCES invoices (invoice_no),
  line_no     INTEGER NOT NULL,
  sku         TEXT,
  description TEXT NOT NULL,
  qty         INTEGER NOT NULL,
  unit_price  TEXT    NOT NULL,
  total       TEXT    NOT NULL,
  PRIMARY KEY (invoice_no, line_no)
);

CREATE TABLE sb_documents (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  kind            TEXT NOT NULL,
  store           TEXT NOT NULL,
  woo_order_id    INTEGER NOT NULL,
  order_number    TEXT NOT NULL,
  original_ref    TEXT,
  customer_ref    TEXT NOT NULL,
  currency        TEXT NOT NULL,
  document_date   TIMESTAMP NOT NULL,
  total           TEXT    NOT NULL,
  tax_total       TEXT    NOT NULL,
  discount_total  TEXT    NOT NULL,
  payment_method  TEXT NOT NULL,
  transaction_id  TEXT NOT NULL,
  customer_note   TEXT NOT NULL,
  body            TEXT NOT NULL,
  written_at      TIMESTAMP NOT NULL
);

CREATE TABLE sb_document_lines (
  document_id INTEGER NOT NULL REFERENCES sb_documents (id),
  line_no     INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  sku         TEXT,
  name        TEXT NOT NULL,
  quantity    INTEGER NOT NULL,
  unit_price  TEXT    NOT NULL,
  total       TEXT    NOT NULL,
  tax         TEXT    NOT NULL,
  gross       TEXT    NOT NULL,
  tax_rate    TEXT    NOT NULL,
  PRIMARY KEY (document_id, line_no)
);

CREATE TABLE sb_customers (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  email_key       TEXT NOT NULL UNIQUE,
  first_name      TEXT NOT NULL,
  last_name       TEXT NOT NULL,
  company         TEXT NOT NULL,
  phone           TEXT NOT NULL,
  address_1       TEXT NOT NULL,
  address_2       TEXT NOT NULL,
  city            TEXT NOT NULL,
  state           TEXT NOT NULL,
  postcode        TEXT NOT NULL,
  country         TEXT NOT NULL,
  shipping        TEXT NOT NULL,
  woo_customer_id INTEGER NOT NULL,
  updated_at      TIMESTAMP NOT NULL
);
