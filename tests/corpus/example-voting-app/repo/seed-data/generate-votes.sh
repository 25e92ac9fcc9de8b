#!/bin/sh
ab -n 1000 -c 50 -p posta -T 'application/x-www-form-urlencoded' http://vote/
