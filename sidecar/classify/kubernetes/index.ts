/** Kubernetes API request classification (DESIGN.md §4), after k8s.io/apiserver's request-info. */
export { classifyKubernetesRequest, qualifiedResource } from './classify-kubernetes.js';
export {
  isRequestInfoError,
  MAX_KUBERNETES_URL_LENGTH,
  requestInfo,
  type RequestInfo,
  type RequestInfoError,
  type RequestInfoErrorKind,
} from './request-info.js';
