CREATE TABLE "list_generation" (
	"id" smallint PRIMARY KEY NOT NULL,
	"gen" bigint NOT NULL
);
