import { SqliteStore } from "./sqlite";
import { storeContract } from "./store.contract";

storeContract("embedded sqlite", { open: async () => new SqliteStore(":memory:"), settle: async () => {} });
