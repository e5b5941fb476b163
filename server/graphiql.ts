// What a first-time visitor of /graphql sees: something that works without reading the docs.
export const graphiqlDefaultQuery = `# Welcome to Homeroom's API.
#
# 1. Run the "Login" mutation below (demo accounts: admin@, instructor@ or
#    student@homeroom.test, password "homeroom").
# 2. Copy the token into the Headers tab:  { "Authorization": "Bearer <token>" }
#    (over graphql-ws the token goes in connectionParams: { "authorization": "Bearer <token>" }).
# 3. Run "MyCourses".

mutation Login {
  login(email: "instructor@homeroom.test", password: "homeroom") {
    token
    expiresAt
    user { id name role }
  }
}

query MyCourses {
  me { name role }
  courses {
    id
    code
    title
    assessments { id title kind maxScore }
  }
}
`;
