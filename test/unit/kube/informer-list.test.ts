import { describe, expect, it } from "@jest/globals";
import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { type ListPage, listAllPages } from "../../../src/kube/informer.js";

interface Item extends KubernetesObject {
  metadata: { name: string; resourceVersion: string };
  data?: string;
}

const item = (name: string, data = "big"): Item => ({ metadata: { name, resourceVersion: "1" }, data });

/** A list served in pages, as the apiserver does with limit and continue; records what was asked. */
function pagedList(pages: Item[][], spelling: "_continue" | "continue" = "_continue") {
  const asked: ListPage[] = [];
  const list = async (page: ListPage): Promise<KubernetesListObject<Item>> => {
    asked.push(page);
    const index = page._continue ? Number(page._continue.replace("after-", "")) + 1 : 0;
    const last = index === pages.length - 1;
    return {
      apiVersion: "v1",
      kind: "List",
      metadata: { resourceVersion: "777", ...(last ? {} : { [spelling]: `after-${index}` }) },
      items: pages[index] ?? [],
    };
  };
  return { list, asked };
}

const keepAll = () => true;
const asSent = (object: Item) => object;

describe("listAllPages", () => {
  it.each<[string, Item[][], "_continue" | "continue", string[], number]>([
    ["asks once when the first page is the whole list", [[item("a"), item("b")]], "_continue", ["a", "b"], 1],
    [
      "follows client-node's _continue until a page has none, in order",
      [[item("a")], [item("b")], [item("c")]],
      "_continue",
      ["a", "b", "c"],
      3,
    ],
    ["follows a custom objects list's plain continue", [[item("a")], [item("b")]], "continue", ["a", "b"], 2],
    ["returns no items for an empty list", [[]], "_continue", [], 1],
  ])("%s", async (_name, pages, spelling, names, requests) => {
    const { list, asked } = pagedList(pages, spelling);
    const listed = await listAllPages(list, keepAll, asSent);
    expect(listed.items.map((i) => i.metadata.name)).toEqual(names);
    expect(asked).toHaveLength(requests);
    expect(listed.metadata?.resourceVersion).toBe("777");
  });

  it.each(["_continue", "continue"])("ends at a page whose %s token is an empty string", async (spelling) => {
    let requests = 0;
    const list = async (): Promise<KubernetesListObject<Item>> => {
      requests++;
      return { metadata: { resourceVersion: "9", [spelling]: "" }, items: [item(`page-${requests}`)] };
    };
    const listed = await listAllPages(list, keepAll, asSent);
    expect(listed.items.map((i) => i.metadata.name)).toEqual(["page-1"]);
    expect(requests).toBe(1);
  });

  it("asks for a limit on every page and sends each page's token with the next", async () => {
    const { list, asked } = pagedList([[item("a")], [item("b")], [item("c")]]);
    await listAllPages(list, keepAll, asSent);
    expect(asked).toEqual([
      { limit: 500 },
      { limit: 500, _continue: "after-0" },
      { limit: 500, _continue: "after-1" },
    ]);
  });

  it("keeps and trims each page before asking for the next", async () => {
    const trimmedBeforeNext: number[] = [];
    let trimmed = 0;
    const { list: serve } = pagedList([[item("a"), item("skip")], [item("b")]]);
    const list = (page: ListPage) => {
      trimmedBeforeNext.push(trimmed);
      return serve(page);
    };
    const listed = await listAllPages(
      list,
      (object) => object.metadata.name !== "skip",
      (object) => {
        trimmed++;
        return { metadata: object.metadata };
      },
    );
    expect(listed.items).toEqual([
      { metadata: { name: "a", resourceVersion: "1" } },
      { metadata: { name: "b", resourceVersion: "1" } },
    ]);
    expect(trimmedBeforeNext).toEqual([0, 1]);
  });

  it("rejects with the error of a page that fails, such as an expired continue token", async () => {
    const expired = Object.assign(new Error("410 Gone: the continue token has expired"), { code: 410 });
    const { list: serve } = pagedList([[item("a")], [item("b")]]);
    const list = (page: ListPage) => (page._continue ? Promise.reject(expired) : serve(page));
    await expect(listAllPages(list, keepAll, asSent)).rejects.toBe(expired);
  });
});
