exports.rooms = (ids) => new Set(ids);
