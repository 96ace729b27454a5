// AWS partitions, regions and IAM role ARNs.

const direction = "(?:north|south|east|west|central|northeast|northwest|southeast|southwest)";
const regionPattern = new RegExp(`^[a-z]{2}(?:-gov|-iso[bef]?)?-${direction}-\\d{1,2}$`);

/** Whether `region` has the form of an AWS region: standard (eu-west-1), GovCloud, China or ISO. */
export function isRegion(region: string): boolean {
  return regionPattern.test(region);
}

/** The partition a well-formed region belongs to, e.g. "aws-cn" for cn-north-1. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.includes("-gov-")) return "aws-us-gov";
  const iso = /^[a-z]{2}-iso([bef]?)-/.exec(region);
  if (iso) return iso[1] ? `aws-iso-${iso[1]}` : "aws-iso";
  return "aws";
}

const roleArnPattern =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** The parts of an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/[path/]name), or undefined. */
export function parseRoleArn(arn: string): { partition: string; accountId: string } | undefined {
  const match = roleArnPattern.exec(arn);
  if (!match?.[1] || !match[2]) return undefined;
  return { partition: match[1], accountId: match[2] };
}

/** Whether `id` is a 12-digit AWS account ID. */
export function isAccountId(id: string): boolean {
  return /^\d{12}$/.test(id);
}
