const http = require('http');
http.createServer((req, res) => res.end('results')).listen(4000);
