/**
 * Thrown (as a rejected promise) by a guarded client's write while this replica does not lead.
 * @internal exported for its tests
 */
export class NotLeaderError extends Error {
  override name = "NotLeaderError";
}

const writeMethod = /^(create|replace|patch|delete)/;

/**
 * Wraps a client-node API object so that its create/replace/patch/delete methods reject with
 * NotLeaderError, without sending anything, whenever allowed() is false at the moment of the call.
 * Reads pass through. This is the last line of defence against a deposed leader (e.g. one resumed
 * after SIGSTOP) writing from a stale view before its elector loop has noticed.
 * @internal exported for its tests
 */
export function guardWrites<T extends object>(api: T, allowed: () => boolean): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && writeMethod.test(property)) {
        return (...args: unknown[]) =>
          allowed()
            ? (value as (...a: unknown[]) => unknown).apply(target, args)
            : Promise.reject(new NotLeaderError(`not the leader: refusing ${property}`));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/**
 * Every client of `clients` write-guarded (see guardWrites): what the controllers write through
 * under leader election. Every member is wrapped, so a client added later cannot be left out.
 */
export function guardAllWrites<T extends object>(clients: T, allowed: () => boolean): T {
  return Object.fromEntries(
    Object.entries(clients).map(([name, client]) => [name, guardWrites(client as object, allowed)]),
  ) as T;
}
