export * from "./client";
export * from "./migrate";
export * from "./schema";
export { and, asc, desc, eq, gt, gte, inArray, isNull, isNotNull, lt, lte, ne, not, or, sql } from "drizzle-orm";
