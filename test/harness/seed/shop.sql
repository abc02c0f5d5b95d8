-- The demo database: what an agent is allowed to read, with data that must never reach it
-- unmasked. Card numbers are test numbers that pass the Luhn check.
CREATE ROLE app LOGIN PASSWORD :'app_password';
CREATE DATABASE shop OWNER app;
\connect shop
SET ROLE app;

CREATE TABLE customers (
  id          bigserial PRIMARY KEY,
  full_name   text NOT NULL,
  email       text NOT NULL,
  phone       text,
  card_number text,
  ssn         text,
  notes       text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id          bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers(id),
  amount      numeric(10, 2) NOT NULL,
  status      text NOT NULL DEFAULT 'open',
  created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO customers (full_name, email, phone, card_number, ssn, notes) VALUES
  ('Ada Lovelace',    'ada@example.com',     '+44 20 7946 0958', '4111 1111 1111 1111', '078-05-1120', 'prefers e-mail: ada.l@example.org'),
  ('Grace Hopper',    'grace@example.com',   '+1 202 555 0143',  '5555-5555-5555-4444', '219-09-9999', NULL),
  ('Alan Turing',     'alan@example.com',    '+44 161 496 0000', '378282246310005',     '457-55-5462', 'card on file 4012888888881881'),
  ('Katherine Johnson','kj@example.com',     '+1 757 555 0199',  '6011111111111117',    '536-22-1234', NULL),
  ('Edsger Dijkstra', 'edsger@example.com',  '+31 20 555 0100',  '3530111333300000',    '123-45-6789', 'IBAN NL91ABNA0417164300');

INSERT INTO orders (customer_id, amount, status) VALUES
  (1, 120.50, 'open'), (1, 35.00, 'shipped'), (2, 990.00, 'open'),
  (3, 15.25, 'cancelled'), (4, 420.00, 'shipped'), (5, 64.10, 'open');

-- The harness runs PostgreSQL with synchronous_commit=off; make the seed durable before any
-- test kills the server on purpose.
RESET ROLE;
CHECKPOINT;
