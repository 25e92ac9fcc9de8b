export const withTrailingSlash = (url) => (url.endsWith('/') ? url : url + '/');
