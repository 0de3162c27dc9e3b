// Parses each module's etc/schema.graphqls with graphql-js the way Magento
// stitches it: Magento's directives (@resolver, @doc, @cache) declared, the
// core types our file extends (Query, ProductInterface) stubbed, and
// "type Query"/"interface ProductInterface" read as extensions. Prints each
// @resolver class (one per line) for check-module.php; exits 1 on an error.
//   node check-graphql-schema.mjs FILE...
import { readFileSync } from 'node:fs';
import { buildSchema, parse, visit } from 'graphql';

const prelude = `
  directive @resolver(class: String!) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
  directive @doc(description: String!) on FIELD_DEFINITION | OBJECT | INTERFACE | ENUM | ENUM_VALUE | ARGUMENT_DEFINITION | INPUT_OBJECT | INPUT_FIELD_DEFINITION | UNION
  directive @cache(cacheable: Boolean, cacheIdentity: String) on FIELD_DEFINITION
  type Query { products(search: String): [ProductInterface] }
  interface ProductInterface { sku: String }
  type SimpleProduct implements ProductInterface { sku: String }
`;
let failed = false;
for (const file of process.argv.slice(2)) {
  const source = readFileSync(file, 'utf8')
    .replace(/^type Query\b/m, 'extend type Query')
    .replace(/^interface ProductInterface\b/m, 'extend interface ProductInterface');
  try {
    const schema = buildSchema(prelude + source);
    visit(parse(source), {
      Directive(node) {
        if (node.name.value === 'resolver') {
          console.log(node.arguments[0].value.value);
        }
      },
    });
    const product = schema.getType('ProductInterface');
    if (product && !product.getFields().availability && source.includes('ProductInterface')) {
      throw new Error('ProductInterface.availability missing');
    }
  } catch (error) {
    console.error(`${file}: ${error.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
