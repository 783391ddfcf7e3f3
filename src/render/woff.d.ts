// `import x from "….woff" with { type: "file" }` gives the file's path (embedded when compiled).
declare module "*.woff" {
  const path: string;
  export default path;
}
