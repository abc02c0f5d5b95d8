/** HTTP classification (DESIGN.md §4): method, normalised path, query and JSON body fields. */
export {
  classifyHttp,
  MAX_HTTP_TARGET_LENGTH,
  type HttpClassifyOptions,
  type HttpRequest,
} from './classify-http.js';
export { parseQuery, queryValues, type QueryParse } from './form-query.js';
export { compileJsonPath } from './json-path.js';
export { normalisePath } from './normalise-path.js';
export { percentDecode } from './percent-encoding.js';
export { splitRequestTarget, type RequestTarget } from './request-target.js';
