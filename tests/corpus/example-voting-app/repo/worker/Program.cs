// the worker moves votes from redis to postgres
