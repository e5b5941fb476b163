import { seed } from './seed';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL to the database to seed.');
  process.exit(1);
}
const { seeded } = await seed(url);
console.log(seeded ? 'Seeded the demo school.' : 'Demo data already present; nothing to do.');
