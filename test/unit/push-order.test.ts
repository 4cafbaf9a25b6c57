import { pushWaves } from '../../workflows/lib/push-order';

const plan = (itemType: string, ...names: string[]) => ({ itemType, files: names.map((name) => ({ name })) });

describe('pushWaves', () => {
  it("puts an OVF's manifest and certificate in a wave before its descriptor and disks", () => {
    expect(pushWaves(plan('ovf', 'a.mf', 'a.cert', 'a.ovf', 'a-1.vmdk', 'a-2.vmdk'))).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    // Whatever order the plan has them in.
    expect(pushWaves(plan('ovf', 'a.ovf', 'A.MF', 'a-1.vmdk'))).toEqual([[1], [0, 2]]);
  });

  it('is one wave for a package without metadata and for items that are not OVF', () => {
    expect(pushWaves(plan('ovf', 'a.ovf', 'a-1.vmdk'))).toEqual([[0, 1]]);
    expect(pushWaves(plan('file', 'notes.mf', 'data.bin'))).toEqual([[0, 1]]);
    expect(pushWaves(plan('ovf', 'only.mf'))).toEqual([[0]]);
  });
});
