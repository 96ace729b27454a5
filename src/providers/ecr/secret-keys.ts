/** Secret data keys read by auth.secretRef when the spec names none (the AWS environment variable names). */
export const defaultKeys = {
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
  sessionToken: "AWS_SESSION_TOKEN",
} as const;
