-- A small POS schema (MariaDB / MySQL): items and their variants, stock per location,
-- customers, invoices, and the staging tables StoreBridge writes web documents into.
-- Every master row carries updated_at (ON UPDATE), the cursor of incremental reads.

CREATE TABLE items (
  item_no     VARCHAR(20) PRIMARY KEY,
  name        VARCHAR(200) NOT NULL,
  category    VARCHAR(100),
  description TEXT,
  price       DECIMAL(12, 2) NOT NULL,
  sale_price  DECIMAL(12, 2),
  sale_from   DATE,
  sale_to     DATE,
  web         BOOLEAN NOT NULL DEFAULT FALSE,
  weight_kg   DECIMAL(8, 3),
  is_style    BOOLEAN NOT NULL DEFAULT FALSE,
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY items_updated (updated_at)
) CHARACTER SET utf8mb4;

CREATE TABLE variants (
  sku         VARCHAR(40) PRIMARY KEY,
  item_no     VARCHAR(20) NOT NULL,
  colour      VARCHAR(40),
  size        VARCHAR(10),
  price       DECIMAL(12, 2),
  active      BOOLEAN NOT NULL DEFAULT TRUE,
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY variants_item (item_no),
  KEY variants_updated (updated_at),
  FOREIGN KEY (item_no) REFERENCES items (item_no)
) CHARACTER SET utf8mb4;

CREATE TABLE locations (
  code        VARCHAR(20) PRIMARY KEY,
  name        VARCHAR(100) NOT NULL
) CHARACTER SET utf8mb4;

CREATE TABLE stock (
  sku         VARCHAR(40) NOT NULL,
  location    VARCHAR(20) NOT NULL,
  qty         DECIMAL(12, 3) NOT NULL DEFAULT 0,
  updated_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  PRIMARY KEY (sku, location),
  KEY stock_updated (updated_at),
  FOREIGN KEY (sku) REFERENCES variants (sku),
  FOREIGN KEY (location) REFERENCES locations (code)
) CHARACTER SET utf8mb4;

CREATE TABLE customers (
  customer_no INTEGER AUTO_INCREMENT PRIMARY KEY,
  email       VARCHAR(254),
  name        VARCHAR(200) NOT NULL,
  city        VARCHAR(100),
  KEY customers_email (email)
) CHARACTER SET utf8mb4;

CREATE TABLE invoices (
  invoice_no   INTEGER AUTO_INCREMENT PRIMARY KEY,
  customer_no  INTEGER,
  invoice_date DATETIME(6) NOT NULL,
  total        DECIMAL(12, 2) NOT NULL,
  web_ref      VARCHAR(50) UNIQUE,
  FOREIGN KEY (customer_no) REFERENCES customers (customer_no)
) CHARACTER SET utf8mb4;

CREATE TABLE invoice_lines (
  invoice_no  INTEGER NOT NULL,
  line_no     INTEGER NOT NULL,
  sku         VARCHAR(40),
  description VARCHAR(400) NOT NULL,
  qty         DECIMAL(12, 3) NOT NULL,
  unit_price  DECIMAL(12, 4) NOT NULL,
  total       DECIMAL(12, 2) NOT NULL,
  PRIMARY KEY (invoice_no, line_no),
  FOREIGN KEY (invoice_no) REFERENCES invoices (invoice_no)
) CHARACTER SET utf8mb4;

-- Staging tables StoreBridge writes into (columns fixed by storebridge.connectors.sql.writer).
CREATE TABLE sb_documents (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
  idempotency_key VARCHAR(200) NOT NULL UNIQUE,
  kind            VARCHAR(10) NOT NULL,
  store           VARCHAR(100) NOT NULL,
  woo_order_id    BIGINT NOT NULL,
  order_number    VARCHAR(50) NOT NULL,
  original_ref    VARCHAR(50),
  customer_ref    VARCHAR(50) NOT NULL,
  currency        VARCHAR(3) NOT NULL,
  document_date   DATETIME(6) NOT NULL,
  total           DECIMAL(14, 2) NOT NULL,
  tax_total       DECIMAL(14, 2) NOT NULL,
  discount_total  DECIMAL(14, 2) NOT NULL,
  payment_method  VARCHAR(100) NOT NULL,
  transaction_id  VARCHAR(200) NOT NULL,
  customer_note   TEXT NOT NULL,
  body            MEDIUMTEXT NOT NULL,
  written_at      DATETIME(6) NOT NULL
) CHARACTER SET utf8mb4;

CREATE TABLE sb_document_lines (
  document_id BIGINT NOT NULL,
  line_no     INTEGER NOT NULL,
  kind        VARCHAR(20) NOT NULL,
  sku         VARCHAR(100),
  name        VARCHAR(400) NOT NULL,
  quantity    INTEGER NOT NULL,
  unit_price  DECIMAL(14, 4) NOT NULL,
  total       DECIMAL(14, 2) NOT NULL,
  tax         DECIMAL(14, 2) NOT NULL,
  gross       DECIMAL(14, 2) NOT NULL,
  tax_rate    DECIMAL(7, 4)  NOT NULL,
  PRIMARY KEY (document_id, line_no),
  FOREIGN KEY (document_id) REFERENCES sb_documents (id)
) CHARACTER SET utf8mb4;

CREATE TABLE sb_customers (
  id              BIGINT AUTO_INCREMENT PRIMARY KEY,
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
  updated_at      DATETIME(6) NOT NULL
) CHARACTER SET utf8mb4;
