-- A small POS schema (PostgreSQL): items and their variants, stock per location,
-- customers, invoices, and the staging tables StoreBridge writes web documents into.
-- Every master row carries updated_at (kept by a trigger), the cursor of incremental reads.

CREATE FUNCTION pos_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE items (
  item_no     VARCHAR(20) PRIMARY KEY,
  name        VARCHAR(200) NOT NULL,
  category    VARCHAR(100),
  description TEXT,
  price       NUMERIC(12, 2) NOT NULL,
  sale_price  NUMERIC(12, 2),
  sale_from   DATE,
  sale_to     DATE,
  web         BOOLEAN NOT NULL DEFAULT FALSE,
  weight_kg   NUMERIC(8, 3),
  is_style    BOOLEAN NOT NULL DEFAULT FALSE,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE variants (
  sku         VARCHAR(40) PRIMARY KEY,
  item_no     VARCHAR(20) NOT NULL REFERENCES items (item_no),
  colour      VARCHAR(40),
  size        VARCHAR(10),
  price       NUMERIC(12, 2),
  active      BOOLEAN NOT NULL DEFAULT TRUE,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX variants_item ON variants (item_no);

CREATE TABLE locations (
  code        VARCHAR(20) PRIMARY KEY,
  name        VARCHAR(100) NOT NULL
);

CREATE TABLE stock (
  sku         VARCHAR(40) NOT NULL REFERENCES variants (sku),
  location    VARCHAR(20) NOT NULL REFERENCES locations (code),
  qty         NUMERIC(12, 3) NOT NULL DEFAULT 0,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, location)
);

CREATE INDEX items_updated ON items (updated_at);
CREATE INDEX variants_updated ON variants (updated_at);
CREATE INDEX stock_updated ON stock (updated_at);

CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION pos_touch();
CREATE TRIGGER variants_touch BEFORE UPDATE ON variants FOR EACH ROW EXECUTE FUNCTION pos_touch();
CREATE TRIGGER stock_touch BEFORE UPDATE ON stock FOR EACH ROW EXECUTE FUNCTION pos_touch();

CREATE TABLE customers (
  customer_no SERIAL PRIMARY KEY,
  email       VARCHAR(254),
  name        VARCHAR(200) NOT NULL,
  city        VARCHAR(100)
);
CREATE INDEX customers_email ON customers (lower(email));

CREATE TABLE invoices (
  invoice_no   SERIAL PRIMARY KEY,
  customer_no  INTEGER REFERENCES customers (customer_no),
  invoice_date TIMESTAMPTZ NOT NULL,
  total        NUMERIC(12, 2) NOT NULL,
  web_ref      VARCHAR(50) UNIQUE
);

CREATE TABLE invoice_lines (
  invoice_no  INTEGER NOT NULL REFERENCES invoices (invoice_no),
  line_no     INTEGER NOT NULL,
  sku         VARCHAR(40),
  description VARCHAR(400) NOT NULL,
  qty         NUMERIC(12, 3) NOT NULL,
  unit_price  NUMERIC(12, 4) NOT NULL,
  total       NUMERIC(12, 2) NOT NULL,
  PRIMARY KEY (invoice_no, line_no)
);

-- Staging tables StoreBridge writes into (columns fixed by storebridge.connectors.sql.writer).
CREATE TABLE sb_documents (
  id              BIGSERIAL PRIMARY KEY,
  idempotency_key VARCHAR(200) NOT NULL UNIQUE,
  kind            VARCHAR(10) NOT NULL,
  store           VARCHAR(100) NOT NULL,
  woo_order_id    BIGINT NOT NULL,
  order_number    VARCHAR(50) NOT NULL,
  original_ref    VARCHAR(50),
  customer_ref    VARCHAR(50) NOT NULL,
  currency        VARCHAR(3) NOT NULL,
  document_date   TIMESTAMP NOT NULL,
  total           NUMERIC(14, 2) NOT NULL,
  tax_total       NUMERIC(14, 2) NOT NULL,
  discount_total  NUMERIC(14, 2) NOT NULL,
  payment_method  VARCHAR(100) NOT NULL,
  transaction_id  VARCHAR(200) NOT NULL,
  customer_note   TEXT NOT NULL,
  body            TEXT NOT NULL,
  written_at      TIMESTAMP NOT NULL
);

CREATE TABLE sb_document_lines (
  document_id BIGINT NOT NULL REFERENCES sb_documents (id),
  line_no     INTEGER NOT NULL,
  kind        VARCHAR(20) NOT NULL,
  sku         VARCHAR(100),
  name        VARCHAR(400) NOT NULL,
  quantity    INTEGER NOT NULL,
  unit_price  NUMERIC(14, 4) NOT NULL,
  total       NUMERIC(14, 2) NOT NULL,
  tax         NUMERIC(14, 2) NOT NULL,
  gross       NUMERIC(14, 2) NOT NULL,
  tax_rate    NUMERIC(7, 4)  NOT NULL,
  PRIMARY KEY (document_id, line_no)
);

CREATE TABLE sb_customers (
  id              BIGSERIAL PRIMARY KEY,
  email_key       VARCHAR(254) NOT NULL UNIQUE,
  first_name      VARCHAR(100) NOT NULL,
  last_name       VARCHAR(100) NOT NULL,
  company         VARCHAR(200) NOT NULL,
  phone           VARCHAR(50) NOT NULL,
  address_1       VARCHAR(200) NOT NULL,
  address_2       VARCHAR(200) NOT NULL,
  city            VARCHAR(100) NOT NULL,
  state           VARCHAR(100) NOT NULL,
  postcode        VARCHAR(20) NOT NULL,
  country         VARCHAR(2) NOT NULL,
  shipping        TEXT NOT NULL,
  woo_customer_id BIGINT NOT NULL,
  updated_at      TIMESTAMP NOT NULL
);
