//! `roster seed`: a realistic dataset for demos and benchmarks.
//!
//! People get believable names and unique emails; each joins `--per-user` profiles drawn from
//! a Zipf distribution, so profile sizes follow a power law (at ten million links the biggest
//! few have hundreds of thousands of members); every profile has a manager; and every link
//! has its "added" history row. Everything is generated from `--seed`, so a run can be
//! repeated exactly.
//!
//! Speed: rows go in as multi-row inserts inside one transaction (all or nothing), with the
//! secondary indexes of the two big tables dropped first and rebuilt at the end (a sort is
//! far cheaper than ten million random index insertions), and the member counts and history
//! totals computed once instead of by a trigger per row. The schema's own definitions are read
//! back from the database to restore them, so this code never repeats them.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::{
    db::{Db, Dialect, Pool},
    lists::words::{Person, SearchWords},
};
use crate::{
    domain::{Access, Password, Timestamp, UserId},
    error::AppError,
    history::Action,
    with_db,
};

#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// How many people.
    #[arg(long, default_value_t = 10_000)]
    pub users: u32,
    /// How many profiles.
    #[arg(long, default_value_t = 1_000)]
    pub profiles: u32,
    /// How many profiles each person is on (each profile's creator is on it too).
    #[arg(long = "per-user", default_value_t = 10)]
    pub per_user: u32,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

const FIRST: &[&str] = &[
    "Ada", "Aisha", "Alan", "Alice", "Amara", "Ana", "Andrei", "Anna", "Arjun", "Astrid", "Ben", "Bianca",
    "Carlos", "Chen", "Chloe", "Daniel", "David", "Dmitri", "Elena", "Emma", "Erik", "Fatima", "Felix",
    "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jack", "James", "Jana", "Javier", "Ji-woo", "Julia", "Kai",
    "Karin", "Kenji", "Laila", "Lars", "Leo", "Lina", "Lucas", "Luis", "Maria", "Marta", "Mateo", "Maya",
    "Mei", "Mohamed", "Nadia", "Noah", "Nora", "Olga", "Omar", "Oscar", "Paula", "Pedro", "Priya", "Rafael",
    "Rosa", "Ruth", "Sam", "Sara", "Sofia", "Sven", "Tariq", "Theo", "Tomas", "Uma", "Vera", "Wei", "Yara",
    "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Bauer", "Becker", "Bianchi", "Brown", "Castro", "Chen",
    "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Gonzalez", "Haddad", "Hansen", "Hoffmann",
    "Ivanova", "Jensen", "Johnson", "Kaur", "Kim", "Kowalski", "Lambert", "Larsen", "Lee", "Lopez", "Martin",
    "Meyer", "Moreau", "Muller", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Perez",
    "Petrov", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Novotny",
    "Wagner", "Wang", "Weber", "Williams", "Wilson", "Yamamoto", "Zhang",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example"];
const KINDS: &[&str] = &["Team", "Project", "Class", "Guild", "Committee", "Lab", "Squad", "Circle", "Crew"];
const WORDS: &[&str] = &[
    "Aurora", "Basalt", "Beacon", "Cedar", "Comet", "Delta", "Ember", "Falcon", "Fjord", "Granite", "Harbor",
    "Helix", "Indigo", "Juniper", "Kestrel", "Lumen", "Maple", "Meridian", "Nimbus", "Onyx", "Orion",
    "Pioneer", "Quartz", "Raven", "Sierra", "Solstice", "Summit", "Tidal", "Umber", "Vertex", "Willow",
    "Zephyr",
];

/// SplitMix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A value derived from `(seed, kind, n)` alone, so a person's name needs no storage.
fn hash(seed: u64, kind: u64, n: u64) -> u64 {
    Rng(seed ^ kind.wrapping_mul(0xA24B_AED4_963E_E407) ^ n.wrapping_mul(0x9FB2_1C65_1E98_DF5B)).next()
}

/// Person `n`'s display name, sort key and email.
fn person(seed: u64, n: u32) -> (String, String, String) {
    let h = hash(seed, 1, n as u64);
    let first = FIRST[(h % FIRST.len() as u64) as usize];
    let last = LAST[((h >> 16) % LAST.len() as u64) as usize];
    let domain = DOMAINS[((h >> 32) % DOMAINS.len() as u64) as usize];
    let name = format!("{first} {last}");
    let email = format!("{}.{}{n}@{domain}", first.to_lowercase(), last.to_lowercase());
    (name.clone(), name.to_lowercase(), email)
}

fn profile_name(seed: u64, n: u32) -> String {
    let h = hash(seed, 2, n as u64);
    let word = WORDS[(h % WORDS.len() as u64) as usize];
    let kind = KINDS[((h >> 16) % KINDS.len() as u64) as usize];
    // Numbered, so no maker has two of the same name (profiles_creator_name_idx).
    match (h >> 40) % 2 {
        0 => format!("{kind} {word} {n}"),
        _ => format!("{word} {kind} {n}"),
    }
}

/// One link between a person and a profile.
#[derive(Clone, Copy)]
struct Link {
    profile: u32,
    user: u32,
    /// Milliseconds since the epoch.
    at: i64,
    manager: bool,
}

impl Link {
    fn access(self) -> Access {
        if self.manager {
            Access::Manager
        } else {
            Access::Member
        }
    }
}

fn moment(ms: i64) -> Timestamp {
    Timestamp::from_micros(ms * 1000).unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH))
}

/// What a seed makes, drawn before anything is written: when each profile was made and by
/// whom, and every link.
struct World {
    seed: u64,
    users: u32,
    profiles: u32,
    /// Milliseconds since the epoch, and the span of three years before it.
    now: i64,
    three_years: i64,
    profile_born: Vec<i64>,
    creators: Vec<u32>,
    links: Vec<Link>,
}

impl World {
    /// Who is on what. Profile p is drawn with probability ∝ 1/p (Zipf), from a table of
    /// cumulative weights; each person's profiles are distinct; each profile's creator
    /// manages it.
    fn draw(args: &SeedArgs, rng: &mut Rng) -> World {
        let SeedArgs { users, profiles, per_user, seed } = *args;
        let now = chrono::Utc::now().timestamp_millis();
        let three_years = 3 * 365 * 24 * 3600 * 1000_i64;
        let cumulative: Vec<f64> = (1..=profiles)
            .scan(0.0, |sum, p| {
                *sum += 1.0 / p as f64;
                Some(*sum)
            })
            .collect();
        let total_weight = *cumulative.last().unwrap_or(&1.0);
        let profile_born: Vec<i64> =
            (0..profiles).map(|_| now - three_years + rng.below(three_years as u64 / 2) as i64).collect();
        let creators: Vec<u32> = (0..profiles).map(|_| 1 + rng.below(users as u64) as u32).collect();
        let mut links: Vec<Link> = Vec::with_capacity(users as usize * per_user as usize + profiles as usize);
        for (i, creator) in creators.iter().enumerate() {
            links.push(Link { profile: i as u32 + 1, user: *creator, at: profile_born[i], manager: true });
        }
        let mut mine: Vec<u32> = Vec::with_capacity(per_user as usize);
        for user in 1..=users {
            mine.clear();
            while mine.len() < per_user as usize {
                let target = rng.unit() * total_weight;
                let profile =
                    cumulative.partition_point(|w| *w < target).min(profiles as usize - 1) as u32 + 1;
                if !mine.contains(&profile) {
                    mine.push(profile);
                }
            }
            for &profile in &mine {
                let born = profile_born[profile as usize - 1];
                let at = born + rng.below((now - born).max(1) as u64) as i64;
                links.push(Link { profile, user, at, manager: rng.below(50) == 0 });
            }
        }
        links.sort_unstable_by_key(|l| (l.profile, l.user, !l.manager));
        links.dedup_by_key(|l| (l.profile, l.user));
        World { seed, users, profiles, now, three_years, profile_born, creators, links }
    }

    fn creator(&self, profile: u32) -> i64 {
        self.creators[profile as usize - 1] as i64
    }
}

/// Fills the (empty) database and returns a one-line report.
pub async fn seed(db: &Db, args: &SeedArgs) -> Result<String, AppError> {
    let SeedArgs { users, profiles, per_user, seed } = args.clone();
    if users == 0 || profiles == 0 {
        return Err(AppError::invalid("users", "Seed at least one user and one profile."));
    }
    if per_user > profiles {
        return Err(AppError::invalid("per-user", "--per-user can't be more than --profiles."));
    }
    let existing: i64 = with_db!(db, |pool| {
        sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM profiles)")
            .fetch_one(pool)
            .await
    })?;
    if existing > 0 {
        return Err(AppError::Conflict(
            "seed fills an empty database, and this one has users or profiles already".into(),
        ));
    }
    let started = Instant::now();
    let mut rng = Rng(seed);
    let mut world = World::draw(args, &mut rng);
    let bar = progress_bar(users as u64 + profiles as u64 + 2 * world.links.len() as u64);
    tracing::info!(users, profiles, links = world.links.len(), "seeding");

    // Every seeded account gets the hash of one random password: no one can sign in as them,
    // and a sign-in attempt fails the normal way.
    let password_hash =
        crate::auth::ssr::hash_password(Password::parse(&format!("{:x}{:x}", rng.next(), rng.next()))?)
            .await?;
    with_db!(db, |pool| {
        let dialect = crate::server::db::dialect_of(pool);
        if dialect == Dialect::Sqlite {
            sqlx::query("PRAGMA cache_size = -1000000").execute(pool).await?;
        }
        let mut tx = pool.begin_write().await?;
        let aside = tx.set_aside(dialect).await?;
        tx.insert_people(&world, dialect, &password_hash, &bar).await?;
        tx.insert_profiles(&world, dialect, &bar).await?;
        tx.insert_memberships(&world, &bar).await?;
        world.links.sort_unstable_by_key(|l| (l.at, l.profile, l.user));
        tx.insert_history(&world, &bar).await?;
        bar.set_message("Indexes and counts");
        tx.restore(aside, dialect).await?;
        tx.count().await?;
        tx.commit().await?;
        if dialect == Dialect::Sqlite {
            sqlx::query("PRAGMA optimize").execute(pool).await?;
        }
        Ok::<_, AppError>(())
    })?;
    if let Db::Postgres(pool) = db {
        // VACUUM as well as ANALYZE: until it marks the new pages all-visible, reading an
        // index alone still visits the table for every row (a search's count took 17 ms
        // where it takes 0.3 ms after).
        bar.set_message("Vacuum");
        let mut conn = crate::server::db::unlimited(pool).await?;
        sqlx::query("VACUUM (ANALYZE)").execute(&mut conn).await?;
        sqlx::Connection::close(conn).await?;
    }
    bar.finish_and_clear();
    let took = started.elapsed();
    tracing::info!(seconds = took.as_secs_f64(), "seeded");
    Ok(format!(
        "Seeded {users} people, {profiles} profiles and {} memberships (with their history) in {:.1} s.",
        world.links.len(),
        took.as_secs_f64()
    ))
}

fn progress_bar(rows: u64) -> ProgressBar {
    let bar = ProgressBar::new(rows);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:28} [{bar:40}] {percent:>3}% {human_pos}/{human_len} rows, {elapsed} (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// The big tables' secondary indexes and count triggers, set aside while the rows go in:
/// each one's name and the statement that makes it again.
struct SetAside {
    indexes: Vec<(String, String)>,
    triggers: Vec<(String, String)>,
}

/// How many rows one statement inserts.
const ROWS: usize = 4000;

/// The statements of a seed, inside its one transaction.
trait SeedStatements {
    async fn set_aside(&mut self, dialect: Dialect) -> Result<SetAside, sqlx::Error>;
    async fn insert_people(
        &mut self,
        world: &World,
        dialect: Dialect,
        password_hash: &str,
        bar: &ProgressBar,
    ) -> Result<(), sqlx::Error>;
    async fn insert_profiles(
        &mut self,
        world: &World,
        dialect: Dialect,
        bar: &ProgressBar,
    ) -> Result<(), sqlx::Error>;
    async fn insert_memberships(&mut self, world: &World, bar: &ProgressBar) -> Result<(), sqlx::Error>;
    /// One "added" entry a link, in the order of the links (by time, for a real history).
    async fn insert_history(&mut self, world: &World, bar: &ProgressBar) -> Result<(), sqlx::Error>;
    async fn restore(&mut self, aside: SetAside, dialect: Dialect) -> Result<(), sqlx::Error>;
    /// The member counts and the history's totals, counted once at the end.
    async fn count(&mut self) -> Result<(), sqlx::Error>;
}

crate::impl_for_connections! {
    impl SeedStatements {
        async fn set_aside(&mut self, dialect: Dialect) -> Result<SetAside, sqlx::Error> {
            let index_sql = match dialect {
                Dialect::Sqlite => {
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                     AND tbl_name IN ('memberships', 'history')"
                }
                Dialect::Postgres => {
                    "SELECT indexname, indexdef FROM pg_indexes \
                     WHERE tablename IN ('memberships', 'history') \
                     AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                }
            };
            let indexes: Vec<(String, String)> = sqlx::query_as(index_sql).fetch_all(&mut *self).await?;
            for (name, _) in &indexes {
                sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *self).await?;
            }
            let triggers: Vec<(String, String)> = match dialect {
                Dialect::Sqlite => {
                    sqlx::query_as(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' \
                         AND tbl_name IN ('memberships', 'history')",
                    )
                    .fetch_all(&mut *self)
                    .await?
                }
                Dialect::Postgres => Vec::new(),
            };
            for (name, _) in &triggers {
                sqlx::query(&format!("DROP TRIGGER {name}")).execute(&mut *self).await?;
            }
            if dialect == Dialect::Postgres {
                for disable in [
                    "ALTER TABLE memberships DISABLE TRIGGER memberships_count_insert",
                    "ALTER TABLE history DISABLE TRIGGER history_tallies",
                ] {
                    sqlx::query(disable).execute(&mut *self).await?;
                }
            }
            Ok(SetAside { indexes, triggers })
        }

        async fn insert_people(
            &mut self,
            world: &World,
            dialect: Dialect,
            password_hash: &str,
            bar: &ProgressBar,
        ) -> Result<(), sqlx::Error> {
            bar.set_message("People");
            let overriding = if dialect == Dialect::Postgres { " OVERRIDING SYSTEM VALUE" } else { "" };
            let (seed, now, three_years) = (world.seed, world.now, world.three_years);
            for chunk in (1..=world.users).collect::<Vec<_>>().chunks(ROWS) {
                let mut sql = sqlx::QueryBuilder::new(format!(
                    "INSERT INTO users (id, email, display_name, name_key, password_hash, created_at)\
                     {overriding} "
                ));
                sql.push_values(chunk, |mut row, &n| {
                    let (name, key, email) = person(seed, n);
                    let joined = now - three_years + (hash(seed, 3, n as u64) % three_years as u64) as i64;
                    row.push_bind(n as i64)
                        .push_bind(email)
                        .push_bind(name)
                        .push_bind(key)
                        .push_bind(password_hash.to_owned())
                        .push_bind(moment(joined));
                });
                sql.build().execute(&mut *self).await?;
                let people: Vec<_> = chunk.iter().map(|&n| (n, person(seed, n))).collect();
                let people: Vec<Person> =
                    people
                        .iter()
                        .map(|(n, (_, key, email))| (UserId(*n as i64), key.as_str(), email.as_str()))
                        .collect();
                self.write_words(&people).await?;
                bar.inc(chunk.len() as u64);
            }
            Ok(())
        }

        async fn insert_profiles(
            &mut self,
            world: &World,
            dialect: Dialect,
            bar: &ProgressBar,
        ) -> Result<(), sqlx::Error> {
            bar.set_message("Profiles");
            let overriding = if dialect == Dialect::Postgres { " OVERRIDING SYSTEM VALUE" } else { "" };
            for chunk in (1..=world.profiles).collect::<Vec<_>>().chunks(ROWS) {
                let mut sql = sqlx::QueryBuilder::new(format!(
                    "INSERT INTO profiles (id, name, name_key, description, created_at, created_by)\
                     {overriding} "
                ));
                sql.push_values(chunk, |mut row, &n| {
                    let name = profile_name(world.seed, n);
                    let key = name.to_lowercase();
                    row.push_bind(n as i64)
                        .push_bind(name)
                        .push_bind(key)
                        .push_bind("")
                        .push_bind(moment(world.profile_born[n as usize - 1]))
                        .push_bind(world.creator(n));
                });
                sql.build().execute(&mut *self).await?;
                bar.inc(chunk.len() as u64);
            }
            Ok(())
        }

        async fn insert_memberships(&mut self, world: &World, bar: &ProgressBar) -> Result<(), sqlx::Error> {
            bar.set_message("Memberships");
            for chunk in world.links.chunks(ROWS) {
                let mut sql = sqlx::QueryBuilder::new(
                    "INSERT INTO memberships \
                     (profile_id, user_id, access, added_at, added_by, name_key, email) ",
                );
                sql.push_values(chunk, |mut row, link| {
                    let (_, key, email) = person(world.seed, link.user);
                    row.push_bind(link.profile as i64)
                        .push_bind(link.user as i64)
                        .push_bind(link.access())
                        .push_bind(moment(link.at))
                        .push_bind(world.creator(link.profile))
                        .push_bind(key)
                        .push_bind(email);
                });
                sql.build().execute(&mut *self).await?;
                bar.inc(chunk.len() as u64);
            }
            Ok(())
        }

        async fn insert_history(&mut self, world: &World, bar: &ProgressBar) -> Result<(), sqlx::Error> {
            bar.set_message("History");
            for chunk in world.links.chunks(ROWS) {
                let mut sql = sqlx::QueryBuilder::new(
                    "INSERT INTO history \
                     (at, actor_id, user_id, profile_id, action, access_after, since, added_by) ",
                );
                sql.push_values(chunk, |mut row, link| {
                    let creator = world.creator(link.profile);
                    row.push_bind(moment(link.at))
                        .push_bind(creator)
                        .push_bind(link.user as i64)
                        .push_bind(link.profile as i64)
                        .push_bind(Action::Added)
                        .push_bind(link.access())
                        .push_bind(moment(link.at))
                        .push_bind(creator);
                });
                sql.build().execute(&mut *self).await?;
                bar.inc(chunk.len() as u64);
            }
            Ok(())
        }

        async fn restore(&mut self, aside: SetAside, dialect: Dialect) -> Result<(), sqlx::Error> {
            for (_, definition) in aside.indexes.iter().chain(&aside.triggers) {
                sqlx::query(definition).execute(&mut *self).await?;
            }
            if dialect == Dialect::Postgres {
                for enable in [
                    "ALTER TABLE memberships ENABLE TRIGGER memberships_count_insert",
                    "ALTER TABLE history ENABLE TRIGGER history_tallies",
                ] {
                    sqlx::query(enable).execute(&mut *self).await?;
                }
                for table in ["users", "profiles"] {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         (SELECT MAX(id) FROM {table}))"
                    ))
                    .execute(&mut *self)
                    .await?;
                }
            }
            Ok(())
        }

        async fn count(&mut self) -> Result<(), sqlx::Error> {
            for statement in [
                "UPDATE profiles SET \
                 member_count = (SELECT COUNT(*) FROM memberships m WHERE m.profile_id = profiles.id), \
                 manager_count = (SELECT COUNT(*) FROM memberships m \
                 WHERE m.profile_id = profiles.id AND m.access = 'manager')",
                // The history's totals, as migration 0008 first counted them.
                "DELETE FROM history_tallies",
                "INSERT INTO history_tallies (subject, subject_id, action, entries) \
                 SELECT 'profile', profile_id, action, COUNT(*) FROM history WHERE profile_id IS NOT NULL \
                 GROUP BY profile_id, action",
                "INSERT INTO history_tallies (subject, subject_id, action, entries) \
                 SELECT 'user', user_id, action, COUNT(*) FROM history GROUP BY user_id, action",
            ] {
                sqlx::query(statement).execute(&mut *self).await?;
            }
            Ok(())
        }
    }
}
