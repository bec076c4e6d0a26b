// The tag-update algorithm against an in-memory tag whose contents a test script can change between
// rounds, as concurrent writers would: the races, made deterministic.
import { describe, expect, it } from 'vitest';
import { KubectlBuildError } from '../errors/index.ts';
import { addToTag, type TagList } from './tag-update.ts';

interface Tag {
  items: string[];
  reads: number;
  writes: number;
}

/** A TagList over `tag`; `beforeRead(n)` runs before the n-th read (1-based) to play other writers. */
function tagList(tag: Tag, ours: string, beforeRead: (read: number) => void = () => undefined): TagList<string> {
  return {
    name: 'r/app:sha256-x.sig',
    ours,
    key: (item) => item,
    read: async () => {
      tag.reads++;
      beforeRead(tag.reads);
      return [...tag.items];
    },
    write: async (items) => {
      tag.writes++;
      tag.items = [...items];
    },
  };
}

const noPause = { pause: async () => undefined };

describe('addToTag', () => {
  it('adds our item and keeps what was there', async () => {
    const tag: Tag = { items: ['cosign-sig'], reads: 0, writes: 0 };
    expect(await addToTag(tagList(tag, 'ours'), noPause)).toBe(2);
    expect(tag.items).toEqual(['cosign-sig', 'ours']);
    expect(tag.writes).toBe(1);
  });

  it('confirms with one read, after a pause no shorter than a write takes', async () => {
    const tag: Tag = { items: ['cosign-sig'], reads: 0, writes: 0 };
    const pauses: number[] = [];
    const list = tagList(tag, 'ours');
    const slowWrite = list.write;
    // A write that takes 40 ms: a concurrent writer's stale write lands within about that long.
    list.write = async (items) => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      await slowWrite(items);
    };
    expect(await addToTag(list, { pause: async (ms) => pauses.push(ms) })).toBe(2);
    expect(tag.reads).toBe(2);
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toBeGreaterThanOrEqual(39);
  });

  it('writes again when a stale writer drops our item, and confirms longer after that', async () => {
    const tag: Tag = { items: [], reads: 0, writes: 0 };
    // Right after our write, a writer that read the empty tag long ago puts back its own view.
    const list = tagList(tag, 'ours', (read) => {
      if (read === 2) tag.items = ['stale-writer'];
    });
    await addToTag(list, noPause);
    expect(tag.items).toEqual(['stale-writer', 'ours']);
    expect(tag.writes).toBe(2);
    // Contention seen: four confirming reads after the second write, not two.
    expect(tag.reads).toBeGreaterThanOrEqual(2 + 4);
  });

  it("heals another writer's item that a stale write dropped", async () => {
    const tag: Tag = { items: ['a'], reads: 0, writes: 0 };
    const list = tagList(tag, 'ours', (read) => {
      // After our write, a stale writer that never saw 'a' overwrites the tag with its own item.
      if (read === 2) tag.items = ['ours', 'b'];
    });
    await addToTag(list, noPause);
    expect([...tag.items].sort()).toEqual(['a', 'b', 'ours']);
    expect(new Set(tag.items).size).toBe(tag.items.length);
  });

  it('rides out a transient registry failure, and gives up at once on a refusal', async () => {
    const flaky: Tag = { items: [], reads: 0, writes: 0 };
    const list = tagList(flaky, 'ours', (read) => {
      if (read === 1) throw new KubectlBuildError('REGISTRY', 'HTTP 500');
    });
    await addToTag(list, noPause);
    expect(flaky.items).toEqual(['ours']);

    const refused = tagList({ items: [], reads: 0, writes: 0 }, 'ours', () => {
      throw new KubectlBuildError('UNAUTHENTICATED', 'HTTP 403');
    });
    await expect(addToTag(refused, noPause)).rejects.toThrow('HTTP 403');
  });

  it('stops with a clear error when its item never stays', async () => {
    const tag: Tag = { items: [], reads: 0, writes: 0 };
    const list = tagList(tag, 'ours', () => {
      tag.items = ['someone-else'];
    });
    await expect(addToTag(list, { ...noPause, maxWrites: 3 })).rejects.toThrow(/did not stay in r\/app:sha256-x\.sig after 3 writes/);
  });

  it("says the registry's own error when every write was refused by it, not that other signers won", async () => {
    const tag: Tag = { items: [], reads: 0, writes: 0 };
    const list: TagList<string> = {
      ...tagList(tag, 'ours'),
      write: async () => {
        tag.writes++;
        throw new KubectlBuildError('REGISTRY', 'the registry failed writing r/app:sha256-x.sig: HTTP 503');
      },
    };
    await expect(addToTag(list, { ...noPause, maxWrites: 20 })).rejects.toThrow(/failed writing r\/app:sha256-x\.sig: HTTP 503/);
    // Five failed writes in a row are the registry's outage, not a race: said then, not after 20.
    expect(tag.writes).toBe(5);
  });
});
