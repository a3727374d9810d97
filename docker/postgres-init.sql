-- Run once by the postgres image on an empty data volume
-- (/docker-entrypoint-initdb.d): one database per PostgreSQL service.
CREATE DATABASE auth;
CREATE DATABASE users;
CREATE DATABASE coaching;
CREATE DATABASE events;
