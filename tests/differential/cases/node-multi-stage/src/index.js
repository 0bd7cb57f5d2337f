console.log("hello from web")
