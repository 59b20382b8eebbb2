// RedactConninfo: what walguard logs of a connection string must not carry
// any of libpq's secrets, whatever form the string takes. (Connecting with
// such strings is covered by the integration tests.)
#include "ingest/conninfo.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace walguard {
namespace {

TEST(ConninfoTest, RedactsPasswordAndSslPasswordButKeepsTheRest) {
  EXPECT_EQ(RedactConninfo("host=db sslmode=verify-full sslrootcert=/etc/ca.crt user=wg password=s3cr3t dbname=app"),
            "host=db sslmode=verify-full sslrootcert=/etc/ca.crt user=wg dbname=app");
  // sslpassword decrypts the client key (sslkey): as secret as the password.
  EXPECT_EQ(RedactConninfo("host=db sslkey=/k.pem sslpassword='key pass' user=wg"), "host=db sslkey=/k.pem user=wg");
  EXPECT_EQ(RedactConninfo("host=db passfile=/home/wg/.pgpass user=wg"), "host=db passfile=/home/wg/.pgpass user=wg");
}

TEST(ConninfoTest, SecretsInAnyCaseOrEncodingAreRedacted) {
  // libpq rejects these keywords, and its "invalid connection string" error
  // is logged with the redacted string.
  const std::vector<std::string> conninfos = {
      "host=db Password=s3cr3t user=wg",
      "host=db SSLPASSWORD = 's3cr3t' user=wg",
      "postgresql://wg@db/app?sslpassword=s3cr3t&sslmode=require",
      "postgresql://wg@db/app?PassWord=s3cr3t",
      "postgresql://wg@db/app?pass%77ord=s3cr3t&sslmode=require",
      "postgresql://wg:s3cr3t@db/app?sslmode=require",
  };
  for (const std::string& conninfo : conninfos) {
    std::string redacted = RedactConninfo(conninfo);
    EXPECT_EQ(redacted.find("s3cr3t"), std::string::npos) << conninfo << " -> " << redacted;
    EXPECT_NE(redacted.find("db"), std::string::npos) << conninfo << " -> " << redacted;
  }
  EXPECT_EQ(RedactConninfo("postgresql://wg@db/app?sslpassword=s3cr3t&sslmode=require"),
            "postgresql://wg@db/app?sslmode=require");
}

// Values are read by libpq and written back quoted where they need it: the
// redacted string is still the same connection string, minus the secrets.
TEST(ConninfoTest, RedactionQuotesValuesThatNeedIt) {
  EXPECT_EQ(RedactConninfo("host=db application_name='my app' password='p w' options='-c a=\\'b\\'' dbname=''"),
            "host=db application_name='my app' options='-c a=\\'b\\'' dbname=''");
  EXPECT_EQ(RedactConninfo("host = db   sslrootcert=C:\\\\ca.crt user=wg"),
            "host=db sslrootcert='C:\\\\ca.crt' user=wg");
  for (const std::string& conninfo : {std::string("host=db password='it\\'s s3cr3t' application_name='a \\'b\\''"),
                                      std::string("host=db application_name='it\\'s' sslpassword=s3cr3t")}) {
    const std::string redacted = RedactConninfo(conninfo);
    EXPECT_EQ(redacted.find("s3cr3t"), std::string::npos) << redacted;
    EXPECT_FALSE(ConninfoHasSecret(redacted)) << redacted;
    EXPECT_TRUE(ConninfoHasSecret(conninfo)) << conninfo;
  }
}

TEST(ConninfoTest, RedactsAUriWithAPassword) {
  EXPECT_EQ(RedactConninfo("postgresql://wg:s3cr3t@db1:5432,db2:5433/app?application_name=my%20app&connect_timeout=5"),
            "postgresql://wg@db1:5432,db2:5433/app?application_name=my%20app&connect_timeout=5");
  EXPECT_EQ(RedactConninfo("postgres://w%40g:p%40ss@[::1]:5433/my%20db?password=again"),
            "postgres://w%40g@[::1]:5433/my%20db");
  EXPECT_EQ(RedactConninfo("postgresql://%2Fvar%2Frun%2Fpostgresql/app?user=wg&password=x"),
            "postgresql://wg@%2Fvar%2Frun%2Fpostgresql/app");
  EXPECT_EQ(RedactConninfo("postgresql://u:secret@h:5/db?password=secret&sslmode=disable"),
            "postgresql://u@h:5/db?sslmode=disable");
  EXPECT_FALSE(ConninfoHasSecret(RedactConninfo("postgresql://wg:s3cr3t@db/app?sslpassword=k")));
}

TEST(ConninfoTest, ScrubSecretReplacesEveryOccurrence) {
  EXPECT_EQ(ScrubSecret("a pw b pw", "pw"), "a *** b ***");
  EXPECT_EQ(ScrubSecret("nothing to hide", ""), "nothing to hide");
  EXPECT_EQ(ConninfoPassword("host=db password='p w' user=wg"), "p w");
  EXPECT_EQ(ConninfoPassword("postgresql://wg:p%40ss@db/app"), "p@ss");
}

TEST(ConninfoTest, HasSecretSeesPasswordsButNotNamesThatContainTheWord) {
  EXPECT_TRUE(ConninfoHasSecret("host=db password=x"));
  EXPECT_TRUE(ConninfoHasSecret("host=db SSLPASSWORD = 'a b'"));
  EXPECT_TRUE(ConninfoHasSecret("postgresql://wg:x@db/app"));
  EXPECT_TRUE(ConninfoHasSecret("postgresql://wg@db/app?pass%77ord=x"));
  EXPECT_TRUE(ConninfoHasSecret("host=db password"));  // malformed: may hold one
  EXPECT_FALSE(ConninfoHasSecret("host=db  dbname=password_reset user=passwordless"));
  EXPECT_FALSE(ConninfoHasSecret("postgresql://wg@db/password_reset?sslmode=require"));
  EXPECT_FALSE(ConninfoHasSecret("host=db passfile=/home/wg/.pgpass"));
}

}  // namespace
}  // namespace walguard
