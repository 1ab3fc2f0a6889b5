// Prints the `aws dynamodb create-table --cli-input-json` input for the table in deploy/template.yaml,
// so local tables are created from the very definition that is deployed.
// Usage: node scripts/table-definition.mjs TABLE_NAME
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const templatePath = fileURLToPath(new URL("../deploy/template.yaml", import.meta.url));
const table = JSON.parse(readFileSync(templatePath, "utf8")).Resources.ImagesTable.Properties;
const tableName = process.argv[2];
if (!tableName) {
  console.error("usage: node scripts/table-definition.mjs TABLE_NAME");
  process.exit(2);
}

console.log(JSON.stringify({
  TableName: tableName,
  BillingMode: table.BillingMode,
  AttributeDefinitions: table.AttributeDefinitions,
  KeySchema: table.KeySchema,
  GlobalSecondaryIndexes: table.GlobalSecondaryIndexes,
}));
