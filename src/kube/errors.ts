// The one place that knows how client-node reports apiserver errors (ApiException with the HTTP code).
import { ApiException } from "@kubernetes/client-node";

/** The HTTP status of an apiserver error; undefined for anything else (network errors, bugs). */
export function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** 404 NotFound. */
export const isNotFound = (error: unknown): boolean => statusCode(error) === 404;

/** 409 Conflict or AlreadyExists. */
export const isConflict = (error: unknown): boolean => statusCode(error) === 409;

/** `read()`'s value, or undefined when the object does not exist. Throws other errors. */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
